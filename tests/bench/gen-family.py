#!/usr/bin/env python3
"""Synthetic monthly file for the family-benefit pack (świadczenia
rodzinne: zasiłek rodzinny with dodatki, złotówka za złotówkę, zapomoga),
CSV, one row per person, for kr-batch -r rules/pl/swiadczenia-rodzinne.xml.

Deterministic: the same --seed and --count give the same bytes.  Families
of 2-7 persons, children of every age band, yearly base-year incomes
around the criterion (so that złotówka za złotówkę is exercised), some
disabilities, single parents, farms.

  gen-family.py --count 1000000 --seed 1 > rodziny.csv
"""
import argparse
import random
import sys

COLUMNS = ["application_id", "date", "person_id", "role", "data_urodzenia",
           "sr_orzeczenie", "sr_nauka", "sr_samotnie_wychowuje",
           "sr_hektary_przeliczeniowe", "sr_rozpoczecie_roku_szkolnego",
           "income.1.sr_dochod_roczny", "benefits"]
BENEFITS = "sr_zasilek_rodzinny sr_dodatki_jednorazowe sr_zapomoga_urodzenie"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--date", default="2025-11-12")
    a = ap.parse_args()
    r = random.Random(a.seed)
    w = sys.stdout.write
    w(",".join(COLUMNS) + "\n")
    for i in range(1, a.count + 1):
        appid = "MOPS-SR/2025/%07d" % i
        kids = r.choice([1, 1, 2, 2, 2, 3, 3, 4, 5])
        single = r.random() < 0.2
        adults = 1 if single else 2
        farm = "%d.%02d" % (r.randint(1, 9), r.randint(0, 99)) \
            if r.random() < 0.04 else ""
        # yearly family income around 674 zł x persons x 12
        persons = adults + kids
        target = 674 * persons * 12 * r.choice([0.5, 0.8, 0.95, 1.0, 1.05,
                                                1.1, 1.5, 2.5])
        share = [r.random() for _ in range(adults)]
        total = sum(share)
        for p in range(persons):
            adult = p < adults
            role = "applicant" if p == 0 else ("spouse" if adult
                                               else "child")
            if adult:
                born = "%04d-%02d-%02d" % (r.randint(1970, 2000),
                                           r.randint(1, 12),
                                           r.randint(1, 28))
                grosze = int(target * share[p] / total * 100)
                inc = "%d.%02d" % (grosze // 100, grosze % 100)
                orz = nauka = roksz = ""
            else:
                born = "%04d-%02d-%02d" % (r.randint(2001, 2025),
                                           r.randint(1, 12),
                                           r.randint(1, 28))
                inc = ""
                orz = r.choice(["", "", "", "", "", "", "", "", "",
                                "umiarkowany", "niepelnosprawnosc"])
                nauka = r.choice(["", "szkola", "szkola", "szkola_wyzsza"])
                roksz = "true" if nauka and r.random() < 0.5 else ""
            row = [appid, a.date, "p%d" % (p + 1), role, born, orz, nauka,
                   "true" if single and p == 0 else "",
                   farm if p == 0 else "", roksz, inc,
                   BENEFITS if p == 0 else ""]
            w(",".join(row) + "\n")


if __name__ == "__main__":
    main()
