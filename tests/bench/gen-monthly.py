#!/usr/bin/env python3
"""Synthetic monthly application file for kr-batch (CSV, one row per person).

Deterministic: the same --seed and --count give the same bytes.  The mix is
meant to look like a municipal social-assistance month: mostly single
pensioners and small families, some farms, disabilities, zero incomes.

  gen-monthly.py --count 1000000 --seed 1 > month.csv

--blank-between puts a blank line after each application (kr-batch skips
blank lines), so that a splitter can cut the file at application
boundaries: GNU parallel --pipe --recend '\n\n' (see doc/batch.md).
"""
import argparse
import random
import sys

SOURCES = ["wynagrodzenie", "emerytura_renta", "zasilek_dla_bezrobotnych",
           "umowa_cywilnoprawna", "alimenty_otrzymane",
           "swiadczenie_wychowawcze", "zasilek_pielegnacyjny"]
COLUMNS = ["application_id", "date", "person_id", "role", "data_urodzenia",
           "plec", "niezdolny_do_pracy", "alimenty_placone",
           "hektary_przeliczeniowe", "skladka_krus",
           "income.1.zrodlo", "income.1.kwota", "income.1.podatek",
           "income.1.skladka_zdrowotna",
           "income.2.zrodlo", "income.2.kwota"]


def money(r, lo, hi):
    grosze = r.randint(lo * 100, hi * 100)
    return "%d.%02d" % (grosze // 100, grosze % 100)


def birth(r, year_lo, year_hi):
    y = r.randint(year_lo, year_hi)
    m = r.randint(1, 12)
    d = r.randint(1, 28)
    return "%04d-%02d-%02d" % (y, m, d)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--date", default="2025-03-10")
    ap.add_argument("--bad-every", type=int, default=0,
                    help="make every Nth application invalid (0: none)")
    ap.add_argument("--blank-between", action="store_true",
                    help="a blank line after each application")
    a = ap.parse_args()
    r = random.Random(a.seed)
    out = sys.stdout
    w = out.write
    w(",".join(COLUMNS) + "\n")
    for i in range(1, a.count + 1):
        appid = "MOPS/2025/%07d" % i
        size = r.choice([1, 1, 1, 1, 2, 2, 3, 3, 4, 5])
        farm = r.random() < 0.05
        ha = "%d.%02d" % (r.randint(0, 6), r.randint(0, 99)) if farm else ""
        krus = money(r, 50, 200) if farm else ""
        bad = a.bad_every and i % a.bad_every == 0
        for p in range(size):
            role = "applicant" if p == 0 else (
                "spouse" if p == 1 and size > 2 else "child")
            if role == "child":
                born = birth(r, 2008, 2024)
            elif size == 1 and r.random() < 0.6:
                born = birth(r, 1935, 1964)
            else:
                born = birth(r, 1960, 2000)
            sex = r.choice("KM")
            unable = "true" if role != "child" and r.random() < 0.15 else ""
            ali = money(r, 100, 600) if r.random() < 0.03 else ""
            inc = ["", "", "", "", "", ""]
            if role != "child" and r.random() < 0.8:
                kw = "0.00" if r.random() < 0.1 else money(r, 300, 4000)
                inc[0] = r.choice(SOURCES[:5])
                inc[1] = kw
                inc[2] = money(r, 0, 80) if r.random() < 0.5 else ""
                inc[3] = money(r, 0, 120) if r.random() < 0.7 else ""
            if role == "child" and r.random() < 0.7:
                inc[4] = "swiadczenie_wychowawcze"
                inc[5] = "800.00"
            date = a.date
            if bad and p == 0:
                date = "2025-02-30"
            row = [appid, date, "p%d" % (p + 1), role, born, sex, unable,
                   ali, ha if p == 0 else "", krus if p == 0 else ""] + inc
            w(",".join(row) + "\n")
        if a.blank_between:
            w("\n")


if __name__ == "__main__":
    main()
