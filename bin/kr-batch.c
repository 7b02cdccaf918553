/*
 * kr-batch - a monthly file of applications through the rules: one row
 * per application and benefit, or one error row, never a lost record.
 *
 * The main thread reads applications in order and cuts them into
 * batches; workers evaluate batches over the one shared, immutable rule
 * set; the main thread writes finished batches strictly in input order.
 * So the output bytes do not depend on -j, and memory depends on -j and
 * the batch size, not on the file.  With -o, output goes to FILE.part and
 * is renamed at the end; a checkpoint (FILE.ckpt, fsync'ed) records how
 * many applications are durably written, so --resume continues there
 * after a crash.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#define BATCH 256
#define CKPT_EVERY_MS 1000 /* $KR_BATCH_CHECKPOINT_MS overrides (tests) */

enum { OUT_CSV, OUT_JSONL, OUT_XML };

typedef struct {
    kr_record *rec;          /* NULL: a record refused while reading */
    char *msg;               /* why rejected (malloc'd) */
    char *id;
    size_t idcap;
    unsigned long line;
} item;

typedef struct {
    unsigned long eligible, ineligible, errors;
    kr_sum *total;
} bstat;

typedef struct {
    long seq;
    int n;
    item items[BATCH];
    cli_buf out, errout;
    bstat *st;               /* per rules benefit */
    unsigned long rejected;
    int state;               /* 0 free, 1 queued, 2 done */
} batch;

typedef struct {
    /* configuration */
    const kr_rules *rules;
    const kr_reader *rd;     /* workers build records through it */
    kr_eval_opts eopts;
    int fmt, header, jobs, progress, quiet;
    int no_lines;            /* --no-line-numbers: shards compare */
    const char *out_path, *err_path, *summary_path;
    char *rules_ident;
    char *ckpt_opts;         /* the options that shape the output */
    char *row_suffix;        /* ",<rules>,<sha256>\n" for CSV rows */
    size_t row_suffix_len;
    int nben;
    /* threads */
    pthread_mutex_t mu;
    pthread_cond_t cv_work, cv_done;
    batch **queue;
    int qhead, qtail, qcap, stop;
    /* totals */
    bstat *st;
    unsigned long read, computed, rejected;
    int fatal_input;
} ctx;

static const struct option long_opts[] = {
    { "rules", required_argument, NULL, 'r' },
    { "input-format", required_argument, NULL, 'i' },
    { "decimal-comma", no_argument, NULL, 'c' },
    { "format", required_argument, NULL, 'f' },
    { "output", required_argument, NULL, 'o' },
    { "errors", required_argument, NULL, 'E' },
    { "summary", required_argument, NULL, 'S' },
    { "jobs", required_argument, NULL, 'j' },
    { "benefit", required_argument, NULL, 'b' },
    { "date", required_argument, NULL, 'd' },
    { "resume", no_argument, NULL, 'R' },
    { "no-header", no_argument, NULL, 'H' },
    { "no-line-numbers", no_argument, NULL, 'L' },
    { "progress", no_argument, NULL, 'P' },
    { "no-progress", no_argument, NULL, 'N' },
    { "quiet", no_argument, NULL, 'q' },
    { "help", no_argument, NULL, 'h' },
    { "version", no_argument, NULL, 'V' },
    { NULL, 0, NULL, 0 }
};
/* ':' first and opterr = 0: getopt's own messages would name argv[0],
 * which under libtool is the hidden binary (cli_getopt_error). */
static const char short_opts[] = ":r:i:f:o:j:b:d:qhV";

static void usage(void)
{
    printf("Usage: kr-batch [OPTIONS] [FILE|-]\n"
           "Evaluate a file of applications (CSV or XML) with the rules:\n"
           "one output row per application and benefit, or one error row.\n"
           "\n"
           "  -r, --rules PATH        rule file or directory (repeatable)\n"
           "  -i, --input-format F    auto (default), csv or xml\n"
           "      --decimal-comma     CSV amounts may use a decimal comma\n"
           "  -f, --format F          csv (default), jsonl or xml\n"
           "  -o, --output FILE       write to FILE (atomically: FILE.part,"
           "\n"
           "                          renamed at the end); default stdout\n"
           "      --errors FILE       error rows to FILE, not the output\n"
           "      --summary FILE      the summary also to FILE\n"
           "  -j, --jobs N            worker threads (default 1); the "
           "output\n"
           "                          is byte-identical whatever N\n"
           "  -b, --benefit ID        only this benefit (repeatable)\n"
           "  -d, --date DATE         evaluate on DATE, not each "
           "application's\n"
           "      --resume            continue an interrupted -o run\n"
           "      --no-header         no CSV header row (shards)\n"
           "      --no-line-numbers   leave the line column empty, so that "
           "the\n"
           "                          output of shards equals one process's"
           "\n"
           "      --progress, --no-progress\n"
           "                          progress on stderr (default: if a "
           "tty)\n"
           "  -q, --quiet             no summary on stderr\n"
           "  -h, --help, -V, --version\n\n"
           "Output columns: application_id, line, benefit, status "
           "(eligible,\n"
           "ineligible, error), amount, range_min, range_max, "
           "failed_conditions,\n"
           "message, rules, rules_sha256.\n\n"
           "Exit status:\n"
           "  0   every application was computed\n"
           "  1   one or more applications were rejected (error rows), "
           "or\n"
           "      the input stopped at a fatal error (a bad CSV header,\n"
           "      malformed XML)\n"
           "  2   usage error\n"
           "  3   I/O error\n"
           "  4   invalid rules\n"
           "  70  internal error or out of memory\n");
}

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ------------------------------------------------------------------ */
/* Rows                                                                */

/* The bytes that make a CSV cell need quotes. */
#define CSV_QUOTE_IF ",\"\n\r"

static void csv_cell(cli_buf *b, const char *s)
{
    const char *p;
    size_t n = strcspn(s, CSV_QUOTE_IF);
    if (!s[n]) {
        cli_buf_putn(b, s, n);
        return;
    }
    cli_buf_putc(b, '"');
    for (p = s; *p; p++) {
        if (*p == '"') {
            cli_buf_putc(b, '"');
        }
        cli_buf_putc(b, *p);
    }
    cli_buf_putc(b, '"');
}

static void put_row(const ctx *c, cli_buf *b, const char *id,
                    unsigned long line, const char *benefit,
                    const char *status, const char *amount,
                    const char *rmin, const char *rmax, const char *failed,
                    const char *msg)
{
    const char *sha = kr_rules_digest(c->rules);
    switch (c->fmt) {
    case OUT_CSV: {
        /* the hot path of a batch: no printf; when no cell needs quotes
         * (nearly always) the parts are measured, the row is reserved
         * once and copied */
        char num[24], *p = num + sizeof(num), *o;
        unsigned long l = line;
        const char *part[9];
        size_t len[9], total = c->row_suffix_len + 8;
        int i, plain = 1;
        *--p = '\0';
        do {
            *--p = (char)('0' + l % 10);
            l /= 10;
        } while (l);
        part[0] = id;
        part[1] = c->no_lines ? "" : p;
        part[2] = benefit;
        part[3] = status;
        part[4] = amount;
        part[5] = rmin;
        part[6] = rmax;
        part[7] = failed;
        part[8] = msg;
        for (i = 0; i < 9; i++) {
            if (i == 0 || i == 2 || i >= 7) {
                len[i] = strcspn(part[i], CSV_QUOTE_IF);
                plain &= !part[i][len[i]];
            } else {
                len[i] = strlen(part[i]);
            }
            total += len[i];
        }
        if (plain) {
            if (!(o = cli_buf_room(b, total))) {
                break;
            }
            for (i = 0; i < 9; i++) {
                memcpy(o, part[i], len[i]);
                o += len[i];
                if (i < 8) {
                    *o++ = ',';
                }
            }
            memcpy(o, c->row_suffix, c->row_suffix_len + 1);
            b->len += total;
            break;
        }
        csv_cell(b, id);
        cli_buf_putc(b, ',');
        cli_buf_puts(b, part[1]);
        cli_buf_putc(b, ',');
        csv_cell(b, benefit);
        cli_buf_putc(b, ',');
        cli_buf_puts(b, status);
        cli_buf_putc(b, ',');
        cli_buf_puts(b, amount);
        cli_buf_putc(b, ',');
        cli_buf_puts(b, rmin);
        cli_buf_putc(b, ',');
        cli_buf_puts(b, rmax);
        cli_buf_putc(b, ',');
        csv_cell(b, failed);
        cli_buf_putc(b, ',');
        csv_cell(b, msg);
        cli_buf_puts(b, c->row_suffix);
        break;
    }
    case OUT_JSONL:
        cli_buf_puts(b, "{\"application_id\":");
        cli_buf_json_str(b, id);
        if (c->no_lines) {
            cli_buf_puts(b, ",\"line\":null,\"benefit\":");
        } else {
            cli_buf_printf(b, ",\"line\":%lu,\"benefit\":", line);
        }
        cli_buf_json_str(b, *benefit ? benefit : NULL);
        cli_buf_printf(b, ",\"status\":\"%s\",\"amount\":", status);
        cli_buf_json_str(b, *amount ? amount : NULL);
        cli_buf_puts(b, ",\"range_min\":");
        cli_buf_json_str(b, *rmin ? rmin : NULL);
        cli_buf_puts(b, ",\"range_max\":");
        cli_buf_json_str(b, *rmax ? rmax : NULL);
        cli_buf_puts(b, ",\"failed_conditions\":[");
        {
            const char *p = failed, *sp;
            int first = 1;
            while (*p) {
                sp = strchr(p, ' ');
                cli_buf_puts(b, first ? "\"" : ",\"");
                cli_buf_putn(b, p, sp ? (size_t)(sp - p) : strlen(p));
                cli_buf_putc(b, '"');
                first = 0;
                p = sp ? sp + 1 : p + strlen(p);
            }
        }
        cli_buf_puts(b, "],\"message\":");
        cli_buf_json_str(b, *msg ? msg : NULL);
        cli_buf_puts(b, ",\"rules\":");
        cli_buf_json_str(b, c->rules_ident);
        cli_buf_printf(b, ",\"rules_sha256\":\"%s\"}\n", sha);
        break;
    default:
        cli_buf_puts(b, "  <result application_id=\"");
        cli_buf_xml_str(b, id, 1);
        cli_buf_putc(b, '"');
        if (!c->no_lines) {
            cli_buf_printf(b, " line=\"%lu\"", line);
        }
        if (*benefit) {
            cli_buf_puts(b, " benefit=\"");
            cli_buf_xml_str(b, benefit, 1);
            cli_buf_putc(b, '"');
        }
        cli_buf_printf(b, " status=\"%s\"", status);
        if (*amount) {
            cli_buf_printf(b, " amount=\"%s\"", amount);
        }
        if (*rmin) {
            cli_buf_printf(b, " range_min=\"%s\" range_max=\"%s\"", rmin,
                           rmax);
        }
        if (*failed) {
            cli_buf_puts(b, " failed_conditions=\"");
            cli_buf_xml_str(b, failed, 1);
            cli_buf_putc(b, '"');
        }
        if (*msg) {
            cli_buf_puts(b, " message=\"");
            cli_buf_xml_str(b, msg, 1);
            cli_buf_putc(b, '"');
        }
        cli_buf_puts(b, "/>\n");
        break;
    }
}

static int rules_index(const ctx *c, const char *id)
{
    int i;
    /* a result names its benefits with the rules' own strings: the
     * pointers match, no string compares per row */
    for (i = 0; i < c->nben; i++) {
        if (kr_rules_benefit_id(c->rules, (size_t)i) == id) {
            return i;
        }
    }
    for (i = 0; i < c->nben; i++) {
        if (strcmp(kr_rules_benefit_id(c->rules, (size_t)i), id) == 0) {
            return i;
        }
    }
    return -1;
}

/* Evaluate one batch: rows into b->out / b->errout, counts into b->st. */
static void run_batch(ctx *c, batch *b)
{
    kr_result *res = NULL;
    kr_app *app = NULL;      /* recycled from one application to the next */
    int i;
    size_t k, j, nc;
    cli_buf failed = CLI_BUF_INIT;
    kr_error err = KR_ERROR_INIT;

    for (i = 0; i < b->n; i++) {
        item *it = &b->items[i];
        cli_buf *eb = c->err_path ? &b->errout : &b->out;
        if (err.code != KR_OK) {
            /* cleared only after use: 800 bytes per application */
            kr_error_clear(&err);
        }
        if (!it->rec) {
            put_row(c, eb, it->id, it->line, "", "error", "", "", "", "",
                    it->msg);
            b->rejected++;
            continue;
        }
        /* parsed here, in the worker: the reading thread only splits */
        if (kr_record_build(&app, c->rd, it->rec, &err) < 0) {
            put_row(c, eb, it->id, err.line ? err.line : it->line, "",
                    "error", "", "", "", "", err.msg);
            b->rejected++;
            continue;
        }
        /* one result recycled through the batch: no allocation per
         * application once warm */
        if (kr_eval_reuse(&res, c->rules, app, &c->eopts, &err) < 0) {
            put_row(c, eb, it->id, it->line, "", "error", "", "", "", "",
                    err.msg);
            b->rejected++;
            kr_app_free(app);
            app = NULL;
            continue;
        }
        for (k = 0; k < kr_result_benefit_count(res); k++) {
            const char *bid = kr_result_benefit_id(res, k);
            const char *berr = kr_result_benefit_error(res, k);
            const char *amount = kr_result_benefit_amount(res, k);
            const char *rmin = kr_result_benefit_range_min(res, k);
            const char *rmax = kr_result_benefit_range_max(res, k);
            int g = kr_result_benefit_granted(res, k);
            bstat *st = &b->st[rules_index(c, bid)];
            if (berr) {
                put_row(c, eb, it->id, it->line, bid, "error", "", "", "",
                        "", berr);
                st->errors++;
                continue;
            }
            failed.len = 0;
            for (j = 0, nc = kr_result_condition_count(res, k); j < nc;
                 j++) {
                if (!kr_result_condition_met(res, k, j)) {
                    if (failed.len) {
                        cli_buf_putc(&failed, ' ');
                    }
                    cli_buf_puts(&failed, kr_result_condition_id(res, k, j));
                }
            }
            cli_buf_putc(&failed, '\0');
            put_row(c, &b->out, it->id, it->line, bid,
                    g ? "eligible" : "ineligible", amount ? amount : "",
                    rmin ? rmin : "", rmax ? rmax : "", failed.p, "");
            if (g) {
                st->eligible++;
                if (amount) {
                    kr_sum_add(st->total, amount, NULL);
                }
            } else {
                st->ineligible++;
            }
        }
        /* the result borrows the application until the next
         * kr_eval_reuse, which is after the next kr_record_build has
         * recycled it: nothing reads the old result in between */
    }
    kr_result_free(res);
    kr_app_free(app);
    cli_buf_free(&failed);
    /* the records are recycled by the main thread, which allocated them:
     * frees across threads contend on the allocator's arenas */
}

static void *worker(void *arg)
{
    ctx *c = arg;
    for (;;) {
        batch *b;
        pthread_mutex_lock(&c->mu);
        while (c->qhead == c->qtail && !c->stop) {
            pthread_cond_wait(&c->cv_work, &c->mu);
        }
        if (c->qhead == c->qtail) {
            pthread_mutex_unlock(&c->mu);
            return NULL;
        }
        b = c->queue[c->qhead++ % c->qcap];
        pthread_mutex_unlock(&c->mu);
        run_batch(c, b);
        pthread_mutex_lock(&c->mu);
        b->state = 2;
        pthread_cond_broadcast(&c->cv_done);
        pthread_mutex_unlock(&c->mu);
    }
}

/* ------------------------------------------------------------------ */
/* Output files, checkpoints                                           */

typedef struct {
    FILE *f;
    char *final, *part;
} outfile;

/* 1 when path exists and is not a regular file, or is a symbolic link
 * (/dev/null, /dev/stdout, a FIFO, a terminal): written directly, never
 * through FILE.part and a rename, which would replace the device node or
 * the link with a regular file. */
static int is_special(const char *path)
{
    struct stat st;
    return path && lstat(path, &st) == 0 &&
           (S_ISLNK(st.st_mode) || !S_ISREG(st.st_mode));
}

static int open_out(outfile *o, const char *path, int resume, long bytes)
{
    o->final = NULL;
    o->part = NULL;
    if (!path) {
        o->f = stdout;
        return 0;
    }
    if (is_special(path)) {
        o->f = fopen(path, "w");
        return o->f ? 0 : -1;
    }
    o->final = strdup(path);
    o->part = malloc(strlen(path) + 6);
    if (!o->final || !o->part) {
        return -1;
    }
    sprintf(o->part, "%s.part", path);
    if (resume) {
        o->f = fopen(o->part, "r+");
        if (!o->f || ftruncate(fileno(o->f), bytes) < 0 ||
            fseek(o->f, bytes, SEEK_SET) < 0) {
            return -1;
        }
        return 0;
    }
    o->f = fopen(o->part, "w");
    return o->f ? 0 : -1;
}

static int sync_file(FILE *f)
{
    if (fflush(f) != 0) {
        return -1;
    }
    return fsync(fileno(f)) < 0 && errno != EINVAL ? -1 : 0;
}

static int close_out(outfile *o)
{
    int rc = 0;
    if (!o->final) {
        return fflush(o->f) != 0 || ferror(o->f) ? -1 : 0;
    }
    if (sync_file(o->f) < 0 || fclose(o->f) != 0) {
        rc = -1;
    } else if (rename(o->part, o->final) < 0) {
        rc = -1;
    }
    o->f = NULL;
    return rc;
}

static void free_out(outfile *o)
{
    if (o->f && o->f != stdout) {
        fclose(o->f);
    }
    free(o->final);
    free(o->part);
}

static char *ckpt_path(const char *out)
{
    char *p = malloc(strlen(out) + 6);
    if (p) {
        sprintf(p, "%s.ckpt", out);
    }
    return p;
}

/* What the output holds at this moment (the applications of written
 * batches), as the text of a checkpoint; out and err are the byte
 * lengths of the output files. */
static void ckpt_text(const ctx *c, cli_buf *b, long out, long err)
{
    int i;
    cli_buf_printf(b, "kr-batch-checkpoint 1\nrules %s\noptions %s\n"
                   "read %lu\ncomputed %lu\nrejected %lu\nout %ld\nerr %ld\n",
                   kr_rules_digest(c->rules), c->ckpt_opts,
                   c->computed + c->rejected, c->computed, c->rejected, out,
                   err);
    for (i = 0; i < c->nben; i++) {
        char *t = NULL;
        kr_sum_total(&t, c->st[i].total, NULL);
        cli_buf_printf(b, "benefit %d %lu %lu %lu %s\n", i,
                       c->st[i].eligible, c->st[i].ineligible,
                       c->st[i].errors, t ? t : "0");
        kr_free(t);
    }
}

/*
 * Checkpoints are made durable by a thread of their own.  An fsync of
 * the output can take seconds (it flushes everything the page cache
 * holds of it), and the reading thread waiting for it would leave the
 * workers without batches.  The reading thread flushes its buffers to
 * the kernel and hands over the checkpoint text of that moment; the
 * syncer fsyncs the output files, which makes at least those bytes
 * durable, and only then writes the checkpoint (to .tmp, fsync'ed,
 * renamed: never half).  One at a time: while one is in flight the next
 * is simply taken later.
 */
typedef struct {
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int fd_out, fd_err;      /* fd_err -1: no error file */
    const char *path;
    cli_buf text;            /* the pending checkpoint */
    int pending, stop, failed, err_no, started;
} syncer;

static int ckpt_commit(const char *path, const cli_buf *text)
{
    char tmp[4096];
    FILE *f;
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    if (!(f = fopen(tmp, "w"))) {
        return -1;
    }
    if (fwrite(text->p, 1, text->len, f) != text->len) {
        fclose(f);
        return -1;
    }
    if (sync_file(f) < 0 || fclose(f) != 0 || rename(tmp, path) < 0) {
        return -1;
    }
    return 0;
}

static int sync_fd(int fd)
{
    return fd >= 0 && fsync(fd) < 0 && errno != EINVAL ? -1 : 0;
}

static void *syncer_main(void *arg)
{
    syncer *y = arg;
    pthread_mutex_lock(&y->mu);
    for (;;) {
        int rc;
        while (!y->pending && !y->stop) {
            pthread_cond_wait(&y->cv, &y->mu);
        }
        if (!y->pending) {
            break;
        }
        /* the text is not touched by the reading thread while pending */
        pthread_mutex_unlock(&y->mu);
        rc = sync_fd(y->fd_out) < 0 || sync_fd(y->fd_err) < 0 ||
             ckpt_commit(y->path, &y->text) < 0 ? errno : 0;
        pthread_mutex_lock(&y->mu);
        if (rc && !y->failed) {
            y->failed = 1;
            y->err_no = rc;
        }
        y->pending = 0;
    }
    pthread_mutex_unlock(&y->mu);
    return NULL;
}

/* Hand a checkpoint to the syncer, unless one is still in flight (then
 * 0 and nothing happens: the caller tries again later).  1 when handed
 * over, -1 on an I/O error (now or in an earlier checkpoint). */
static int ckpt_offer(syncer *y, const ctx *c, outfile *o, outfile *e)
{
    int busy;
    pthread_mutex_lock(&y->mu);
    busy = y->pending;
    if (y->failed) {
        errno = y->err_no;
        pthread_mutex_unlock(&y->mu);
        return -1;
    }
    pthread_mutex_unlock(&y->mu);
    if (busy) {
        return 0;
    }
    if (fflush(o->f) != 0 || (e->f && fflush(e->f) != 0)) {
        return -1;
    }
    y->text.len = 0;
    ckpt_text(c, &y->text, ftell(o->f), e->f ? ftell(e->f) : 0L);
    if (cli_buf_failed(&y->text)) {
        errno = ENOMEM;
        return -1;
    }
    pthread_mutex_lock(&y->mu);
    y->pending = 1;
    pthread_cond_signal(&y->cv);
    pthread_mutex_unlock(&y->mu);
    return 1;
}

static int syncer_start(syncer *y, const char *path, outfile *o, outfile *e)
{
    memset(y, 0, sizeof(*y));
    y->path = path;
    y->fd_out = fileno(o->f);
    y->fd_err = e->f ? fileno(e->f) : -1;
    pthread_mutex_init(&y->mu, NULL);
    pthread_cond_init(&y->cv, NULL);
    if (pthread_create(&y->th, NULL, syncer_main, y) != 0) {
        pthread_mutex_destroy(&y->mu);
        pthread_cond_destroy(&y->cv);
        return -1;
    }
    y->started = 1;
    return 0;
}

/* Wait for the checkpoint in flight; -1 if any checkpoint failed. */
static int syncer_stop(syncer *y)
{
    int failed;
    if (!y->started) {
        return 0;
    }
    pthread_mutex_lock(&y->mu);
    y->stop = 1;
    pthread_cond_signal(&y->cv);
    pthread_mutex_unlock(&y->mu);
    pthread_join(y->th, NULL);
    pthread_mutex_destroy(&y->mu);
    pthread_cond_destroy(&y->cv);
    cli_buf_free(&y->text);
    y->started = 0;
    failed = y->failed;
    errno = y->err_no;
    return failed ? -1 : 0;
}

static int read_ckpt(ctx *c, const char *path, long *out_bytes,
                     long *err_bytes)
{
    FILE *f = fopen(path, "r");
    char sha[80], optv[4096];
    int i, n = 0;
    if (!f) {
        return -1;
    }
    if (fscanf(f, "kr-batch-checkpoint 1\nrules %79s\noptions %4095s\n"
               "read %lu\ncomputed %lu\nrejected %lu\nout %ld\nerr %ld\n",
               sha, optv, &c->read, &c->computed, &c->rejected, out_bytes,
               err_bytes) != 7 ||
        strcmp(sha, kr_rules_digest(c->rules)) != 0) {
        fclose(f);
        return -2;
    }
    if (strcmp(optv, c->ckpt_opts) != 0) {
        fclose(f);
        return -3;
    }
    for (i = 0; i < c->nben; i++) {
        int idx;
        char t[256];
        if (fscanf(f, "benefit %d %lu %lu %lu %255s\n", &idx,
                   &c->st[i].eligible, &c->st[i].ineligible,
                   &c->st[i].errors, t) != 5 || idx != i ||
            kr_sum_add(c->st[i].total, t, NULL) < 0) {
            fclose(f);
            return -2;
        }
        n++;
    }
    fclose(f);
    return n == c->nben ? 0 : -2;
}

/* ------------------------------------------------------------------ */
/* Summary                                                             */

static void summary(ctx *c, cli_buf *b, long ms)
{
    int i;
    cli_buf_printf(b, "kr-batch summary\n"
                   "rules: %s\nrules_sha256: %s\n"
                   "applications read: %lu\ncomputed: %lu\nrejected: %lu\n",
                   c->rules_ident, kr_rules_digest(c->rules), c->read,
                   c->computed, c->rejected);
    cli_buf_printf(b, "reconciled: %s\n",
                   c->read == c->computed + c->rejected ? "yes" : "NO");
    for (i = 0; i < c->nben; i++) {
        bstat *s = &c->st[i];
        char *tot = NULL, *mean = NULL;
        if (!s->eligible && !s->ineligible && !s->errors) {
            continue;
        }
        kr_sum_total(&tot, s->total, NULL);
        kr_sum_mean(&mean, s->total, s->eligible, 2, NULL);
        cli_buf_printf(b, "benefit %s: eligible %lu, ineligible %lu, "
                       "errors %lu, total %s, mean %s\n",
                       kr_rules_benefit_id(c->rules, (size_t)i), s->eligible,
                       s->ineligible, s->errors, tot ? tot : "?",
                       mean ? mean : "?");
        kr_free(tot);
        kr_free(mean);
    }
    cli_buf_printf(b, "elapsed: %ld.%03ld s\nthroughput: %lu applications/s"
                   "\n", ms / 1000, ms % 1000,
                   ms > 0 ? c->read * 1000UL / (unsigned long)ms : c->read);
}

static void progress(ctx *c, long start, off_t size, int fd, int final)
{
    long ms = now_ms() - start;
    unsigned long rate = ms > 0 ? c->read * 1000UL / (unsigned long)ms : 0;
    off_t pos = size > 0 ? lseek(fd, 0, SEEK_CUR) : -1;
    fprintf(stderr, "\r%lu applications, %lu/s", c->read, rate);
    if (pos > 0 && size > 0 && pos <= size) {
        long eta = (long)((size - pos) * (off_t)ms / pos / 1000);
        fprintf(stderr, ", %d%%, ETA %ld s  ",
                (int)(pos * 100 / size), eta);
    }
    if (final) {
        fputc('\n', stderr);
    }
}

/* ------------------------------------------------------------------ */

typedef struct {
    cli_strv rules, benefits;
    kr_reader_opts ropts;
    const char *input, *date;
    int resume;
} opts;

static int parse_args(int argc, char **argv, ctx *c, opts *o)
{
    int ch;
    char *end;
    while ((ch = getopt_long(argc, argv, short_opts, long_opts, NULL))
           != -1) {
        switch (ch) {
        case 'r':
            if (cli_strv_push(&o->rules, optarg) < 0) {
                return CLI_EXIT_INTERNAL;
            }
            break;
        case 'i':
            if (strcmp(optarg, "auto") == 0) {
                o->ropts.format = KR_INPUT_AUTO;
            } else if (strcmp(optarg, "csv") == 0) {
                o->ropts.format = KR_INPUT_CSV;
            } else if (strcmp(optarg, "xml") == 0) {
                o->ropts.format = KR_INPUT_XML;
            } else {
                return cli_usage_error("unknown input format '%s' (auto, "
                                       "csv, xml)", optarg);
            }
            break;
        case 'c':
            o->ropts.decimal_comma = 1;
            break;
        case 'f':
            if (strcmp(optarg, "csv") == 0) {
                c->fmt = OUT_CSV;
            } else if (strcmp(optarg, "jsonl") == 0) {
                c->fmt = OUT_JSONL;
            } else if (strcmp(optarg, "xml") == 0) {
                c->fmt = OUT_XML;
            } else {
                return cli_usage_error("unknown format '%s' (csv, jsonl, "
                                       "xml)", optarg);
            }
            break;
        case 'o':
            c->out_path = optarg;
            break;
        case 'E':
            c->err_path = optarg;
            break;
        case 'S':
            c->summary_path = optarg;
            break;
        case 'j':
            c->jobs = (int)strtol(optarg, &end, 10);
            if (*end || c->jobs < 1 || c->jobs > 256) {
                return cli_usage_error("--jobs takes a number from 1 to "
                                       "256, not '%s'", optarg);
            }
            break;
        case 'b':
            if (cli_strv_push(&o->benefits, optarg) < 0) {
                return CLI_EXIT_INTERNAL;
            }
            break;
        case 'd':
            if (!cli_valid_date(optarg)) {
                return cli_usage_error("invalid date '%s' (want "
                                       "YYYY-MM-DD)", optarg);
            }
            o->date = optarg;
            break;
        case 'R':
            o->resume = 1;
            break;
        case 'L':
            c->no_lines = 1;
            break;
        case 'H':
            c->header = 0;
            break;
        case 'P':
            c->progress = 1;
            break;
        case 'N':
            c->progress = 0;
            break;
        case 'q':
            c->quiet = 1;
            break;
        case 'h':
            usage();
            return -1;
        case 'V':
            printf("kr-batch (kryterium) %s\n", kr_version());
            return -1;
        default:
            return cli_getopt_error(ch, argv, short_opts);
        }
    }
    if (optind < argc - 1) {
        return cli_usage_error("one input file at most");
    }
    o->input = optind < argc ? argv[optind] : "-";
    if (o->resume && !c->out_path) {
        return cli_usage_error("--resume needs -o FILE");
    }
    if (c->err_path && c->out_path && strcmp(c->err_path, c->out_path) == 0) {
        return cli_usage_error("--errors and -o must be different files");
    }
    return 0;
}

static char *make_ident(const kr_rules *r)
{
    cli_buf b = CLI_BUF_INIT;
    size_t i;
    for (i = 0; i < kr_rules_pack_count(r); i++) {
        cli_buf_printf(&b, "%s%s %s", i ? ";" : "", kr_rules_pack_id(r, i),
                       kr_rules_pack_version(r, i));
    }
    cli_buf_putc(&b, '\0');
    return b.failed ? NULL : b.p;
}

static char *make_suffix(const char *ident, const kr_rules *r,
                         size_t *len)
{
    cli_buf b = CLI_BUF_INIT;
    cli_buf_putc(&b, ',');
    csv_cell(&b, ident);
    cli_buf_putc(&b, ',');
    cli_buf_puts(&b, kr_rules_digest(r));
    cli_buf_puts(&b, "\n");
    *len = b.len;
    cli_buf_putc(&b, '\0');
    return b.failed ? NULL : b.p;
}

/* What a resumed run must share with the interrupted one so that the
 * two halves of the output are of one kind: one word, no blanks. */
static char *make_ckpt_opts(const ctx *c, const opts *o)
{
    cli_buf b = CLI_BUF_INIT;
    size_t i;
    cli_buf_printf(&b, "format=%d,header=%d,lines=%d,errors=%d,input=%d,"
                   "comma=%d,date=%s,benefits=", c->fmt, c->header,
                   !c->no_lines, c->err_path != NULL, o->ropts.format,
                   o->ropts.decimal_comma, o->date ? o->date : "-");
    for (i = 0; i < o->benefits.n; i++) {
        cli_buf_printf(&b, "%s%s", i ? "+" : "", o->benefits.v[i]);
    }
    cli_buf_putc(&b, '\0');
    if (b.failed) {
        cli_buf_free(&b);
        return NULL;
    }
    for (i = 0; b.p[i]; i++) {
        if (b.p[i] == ' ' || b.p[i] == '\t' || b.p[i] == '\n') {
            b.p[i] = '_'; /* fscanf reads one word */
        }
    }
    return b.p;
}

static void header_rows(ctx *c, FILE *f)
{
    if (c->fmt == OUT_CSV && c->header) {
        fputs("application_id,line,benefit,status,amount,range_min,"
              "range_max,failed_conditions,message,rules,rules_sha256\n", f);
    } else if (c->fmt == OUT_XML) {
        fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                "<results xmlns=\"urn:kryterium:batch:1\">\n");
    }
}

static void footer_rows(ctx *c, FILE *f)
{
    if (c->fmt == OUT_XML) {
        fputs("</results>\n", f);
    }
}

static int fill_batch(ctx *c, kr_reader *rd, batch *b, int *eof,
                      kr_error *fatal_err)
{
    b->n = 0;
    while (b->n < BATCH && !*eof) {
        item *it = &b->items[b->n];
        kr_error err = KR_ERROR_INIT;
        /* the item's record from an earlier batch is recycled */
        int rc = kr_reader_next_record(rd, &it->rec, &err);
        const char *id;
        size_t idlen;
        if (rc == KR_DONE) {
            *eof = 1;
            break;
        }
        free(it->msg);
        it->msg = NULL;
        id = kr_reader_record_id(rd);
        idlen = strlen(id) + 1;
        if (idlen > it->idcap) {
            char *n = realloc(it->id, idlen);
            if (!n) {
                kr_record_free(it->rec);
                it->rec = NULL;
                return -1;
            }
            it->id = n;
            it->idcap = idlen;
        }
        memcpy(it->id, id, idlen);
        it->line = kr_reader_record_line(rd);
        if (rc < 0) {
            char m[KR_ERROR_MSG_SIZE + 64];
            if (kr_reader_fatal(rd)) {
                *fatal_err = err;
                *eof = 1;
                c->fatal_input = 1;
                break;
            }
            snprintf(m, sizeof(m), "%s", err.msg);
            it->msg = strdup(m);
            it->line = err.line ? err.line : it->line;
        }
        if (rc < 0 && !it->msg) {
            kr_record_free(it->rec);
            it->rec = NULL;
            return -1;
        }
        b->n++;
        c->read++;
    }
    return 0;
}

static void reset_batch(ctx *c, batch *b)
{
    int i;
    b->out.len = 0;
    b->errout.len = 0;
    b->rejected = 0;
    for (i = 0; i < c->nben; i++) {
        kr_sum_free(b->st[i].total);
        memset(&b->st[i], 0, sizeof(b->st[i]));
        kr_sum_new(&b->st[i].total, NULL);
    }
}

static int write_batch(ctx *c, batch *b, outfile *o, outfile *e)
{
    int i;
    /* the records stay with their items, to be recycled by fill_batch */
    cli_buf_write(&b->out, o->f);
    if (c->err_path) {
        cli_buf_write(&b->errout, e->f);
    }
    if (cli_buf_failed(&b->out) || cli_buf_failed(&b->errout)) {
        return -1;
    }
    c->rejected += b->rejected;
    c->computed += (unsigned long)b->n - b->rejected;
    b->state = 0;
    for (i = 0; i < c->nben; i++) {
        c->st[i].eligible += b->st[i].eligible;
        c->st[i].ineligible += b->st[i].ineligible;
        c->st[i].errors += b->st[i].errors;
        kr_sum_merge(c->st[i].total, b->st[i].total);
    }
    return ferror(o->f) || (e->f && ferror(e->f)) ? -1 : 0;
}

int main(int argc, char **argv)
{
    ctx c;
    opts o;
    kr_rules *rules = NULL;
    kr_reader *rd = NULL;
    kr_error err = KR_ERROR_INIT, fatal_err = KR_ERROR_INIT;
    batch *ring = NULL;
    pthread_t *th = NULL;
    outfile out = { NULL, NULL, NULL }, eout = { NULL, NULL, NULL };
    int rc = CLI_EXIT_OK, i, eof = 0, nring, fd = 0;
    long seq = 0, written = 0, start = now_ms(), last_ck = start;
    long last_pg = start, out_bytes = 0, err_bytes = 0;
    char *ck = NULL;
    off_t size = -1;
    const char **bens = NULL;
    cli_buf sb = CLI_BUF_INIT;
    long ckpt_every = CKPT_EVERY_MS;
    const char *env_ck = getenv("KR_BATCH_CHECKPOINT_MS");
    syncer sync;

    cli_init("kr-batch");
    memset(&sync, 0, sizeof(sync));
    if (env_ck && *env_ck) {
        char *e;
        long v = strtol(env_ck, &e, 10);
        if (!*e && v >= 0 && v <= 3600000L) {
            ckpt_every = v;
        }
    }
    opterr = 0;
    /* millions of short-lived applications: keep freed memory in the
     * process instead of returning it to the kernel after every batch */
    mallopt(M_TRIM_THRESHOLD, 64 * 1024 * 1024);
    mallopt(M_TOP_PAD, 8 * 1024 * 1024);
    memset(&c, 0, sizeof(c));
    memset(&o, 0, sizeof(o));
    o.ropts = (kr_reader_opts)KR_READER_OPTS_INIT;
    c.eopts = (kr_eval_opts)KR_EVAL_OPTS_INIT;
    c.jobs = 1;
    c.header = 1;
    c.progress = isatty(2);
    if ((rc = parse_args(argc, argv, &c, &o)) != 0) {
        cli_strv_free(&o.rules);
        cli_strv_free(&o.benefits);
        return rc < 0 ? cli_finish(CLI_EXIT_OK) : rc;
    }
    if ((rc = cli_load_rules(&rules, &o.rules, &err)) < 0) {
        rc = cli_fail(CLI_PHASE_RULES, &err);
        goto done;
    }
    c.rules = rules;
    c.nben = (int)kr_rules_benefit_count(rules);
    for (i = 0; i < (int)o.benefits.n; i++) {
        if (rules_index(&c, o.benefits.v[i]) < 0) {
            rc = cli_usage_error("unknown benefit '%s'", o.benefits.v[i]);
            goto done;
        }
    }
    bens = (const char **)o.benefits.v;
    c.eopts.benefits = bens;
    c.eopts.nbenefits = o.benefits.n;
    c.eopts.date = o.date;
    if (!(c.ckpt_opts = make_ckpt_opts(&c, &o)) ||
        !(c.rules_ident = make_ident(rules)) ||
        !(c.row_suffix = make_suffix(c.rules_ident, rules,
                                     &c.row_suffix_len)) ||
        !(c.st = calloc((size_t)c.nben + 1, sizeof(bstat)))) {
        rc = CLI_EXIT_INTERNAL;
        goto done;
    }
    for (i = 0; i < c.nben; i++) {
        kr_sum_new(&c.st[i].total, NULL);
    }
    if (strcmp(o.input, "-") != 0) {
        struct stat st;
        if ((fd = open(o.input, O_RDONLY | O_CLOEXEC)) < 0) {
            cli_errorf("%s: cannot open: %s", o.input, strerror(errno));
            rc = CLI_EXIT_IO;
            goto done;
        }
        if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
            size = st.st_size;
        }
    }
    if (kr_reader_new(&rd, rules, fd, strcmp(o.input, "-") ? o.input
                                                          : "(stdin)",
                      &o.ropts, &err) < 0) {
        rc = cli_fail(CLI_PHASE_APP, &err);
        goto done;
    }
    c.rd = rd;
    if (o.resume && (is_special(c.out_path) || is_special(c.err_path))) {
        rc = cli_usage_error("--resume needs -o (and --errors) to name "
                             "regular files");
        goto done;
    }
    if (o.resume) {
        int r;
        ck = ckpt_path(c.out_path);
        r = ck ? read_ckpt(&c, ck, &out_bytes, &err_bytes) : -1;
        if (r == -2) {
            cli_errorf("%s: the checkpoint does not match these rules or "
                       "is damaged; run again without --resume", ck);
            rc = CLI_EXIT_USAGE;
            goto done;
        }
        if (r == -3) {
            cli_errorf("%s: the interrupted run had other options (-f, "
                       "--errors, --no-header, -b, -d, -i, "
                       "--decimal-comma); resume with the same ones, or "
                       "run again without --resume", ck);
            rc = CLI_EXIT_USAGE;
            goto done;
        }
        o.resume = r == 0;
        if (o.resume) {
            /* skip what is durably written; count nothing twice */
            unsigned long k;
            for (k = 0; k < c.read; k++) {
                kr_record *a = NULL;
                kr_error e2 = KR_ERROR_INIT;
                int r2 = kr_reader_next_record(rd, &a, &e2);
                kr_record_free(a);
                if (r2 == KR_DONE || (r2 < 0 && kr_reader_fatal(rd))) {
                    cli_errorf("%s: the input is shorter than the "
                               "checkpoint; run again without --resume",
                               o.input);
                    rc = CLI_EXIT_USAGE;
                    goto done;
                }
            }
        }
    }
    /* checkpoints: for regular output files only */
    if (c.out_path && !ck && !is_special(c.out_path) &&
        !is_special(c.err_path) && !(ck = ckpt_path(c.out_path))) {
        rc = CLI_EXIT_INTERNAL;
        goto done;
    }
    if (open_out(&out, c.out_path, o.resume, out_bytes) < 0 ||
        (c.err_path && open_out(&eout, c.err_path, o.resume && c.out_path,
                                err_bytes) < 0)) {
        cli_errorf("%s: cannot write: %s", c.out_path ? c.out_path
                   : c.err_path, strerror(errno));
        rc = CLI_EXIT_IO;
        goto done;
    }
    if (!o.resume) {
        header_rows(&c, out.f);
        if (eout.f) {
            header_rows(&c, eout.f);
        }
    }
    nring = c.jobs == 1 ? 1 : c.jobs * 3;
    ring = calloc((size_t)nring, sizeof(batch));
    th = calloc((size_t)c.jobs, sizeof(pthread_t));
    c.qcap = nring;
    c.queue = calloc((size_t)nring, sizeof(batch *));
    if (!ring || !th || !c.queue) {
        rc = CLI_EXIT_INTERNAL;
        goto done;
    }
    for (i = 0; i < nring; i++) {
        ring[i].st = calloc((size_t)c.nben + 1, sizeof(bstat));
        if (!ring[i].st) {
            rc = CLI_EXIT_INTERNAL;
            goto done;
        }
    }
    pthread_mutex_init(&c.mu, NULL);
    pthread_cond_init(&c.cv_work, NULL);
    pthread_cond_init(&c.cv_done, NULL);
    if (c.jobs > 1) {
        for (i = 0; i < c.jobs; i++) {
            pthread_create(&th[i], NULL, worker, &c);
        }
    }
    if (ck && syncer_start(&sync, ck, &out, &eout) < 0) {
        rc = CLI_EXIT_INTERNAL;
        goto done;
    }
    /* read, hand out, write in order */
    while (!eof || written < seq) {
        batch *b;
        if (!eof) {
            b = &ring[seq % nring];
            if (seq >= nring) {
                /* the slot holds batch seq - nring: write it first */
                pthread_mutex_lock(&c.mu);
                while (b->state != 2 && c.jobs > 1) {
                    pthread_cond_wait(&c.cv_done, &c.mu);
                }
                pthread_mutex_unlock(&c.mu);
                if (b->seq == written && b->state == 2) {
                    if (write_batch(&c, b, &out, &eout) < 0) {
                        rc = CLI_EXIT_IO;
                        break;
                    }
                    written++;
                }
            }
            reset_batch(&c, b);
            if (fill_batch(&c, rd, b, &eof, &fatal_err) < 0) {
                rc = CLI_EXIT_INTERNAL;
                break;
            }
            if (b->n == 0) {
                continue;
            }
            b->seq = seq++;
            if (c.jobs == 1) {
                run_batch(&c, b);
                b->state = 2;
                if (write_batch(&c, b, &out, &eout) < 0) {
                    rc = CLI_EXIT_IO;
                    break;
                }
                written++;
            } else {
                pthread_mutex_lock(&c.mu);
                b->state = 1;
                c.queue[c.qtail++ % c.qcap] = b;
                pthread_cond_signal(&c.cv_work);
                pthread_mutex_unlock(&c.mu);
            }
        } else {
            b = &ring[written % nring];
            pthread_mutex_lock(&c.mu);
            while (b->state != 2) {
                pthread_cond_wait(&c.cv_done, &c.mu);
            }
            pthread_mutex_unlock(&c.mu);
            if (write_batch(&c, b, &out, &eout) < 0) {
                rc = CLI_EXIT_IO;
                break;
            }
            written++;
        }
        if (ck && now_ms() - last_ck >= ckpt_every) {
            int r = sync.started ? ckpt_offer(&sync, &c, &out, &eout) : 0;
            if (r < 0) {
                rc = CLI_EXIT_IO;
                break;
            }
            if (r > 0) {
                last_ck = now_ms();
            }
        }
        if (c.progress && now_ms() - last_pg >= 250) {
            progress(&c, start, size, fd, 0);
            last_pg = now_ms();
        }
    }
    if (c.jobs > 1) {
        pthread_mutex_lock(&c.mu);
        c.stop = 1;
        pthread_cond_broadcast(&c.cv_work);
        pthread_mutex_unlock(&c.mu);
        for (i = 0; i < c.jobs; i++) {
            pthread_join(th[i], NULL);
        }
    }
    if (c.progress) {
        progress(&c, start, size, fd, 1);
    }
    if (syncer_stop(&sync) < 0 && rc == CLI_EXIT_OK) {
        rc = CLI_EXIT_IO;
    }
    if (rc != CLI_EXIT_OK) {
        cli_errorf("cannot write the output: %s", strerror(errno));
        goto done;
    }
    footer_rows(&c, out.f);
    if (eout.f) {
        footer_rows(&c, eout.f);
    }
    /* The checkpoint goes before the renames: a crash between the two
     * leaves FILE.part without a checkpoint, which --resume redoes from
     * the start; the other way round it would leave FILE and a
     * checkpoint whose FILE.part is gone, and --resume would fail. */
    if (ck && (sync_file(out.f) < 0 || (eout.f && sync_file(eout.f) < 0))) {
        cli_errorf("cannot write the output: %s", strerror(errno));
        rc = CLI_EXIT_IO;
        goto done;
    }
    if (ck) {
        char tmp[4096];
        snprintf(tmp, sizeof(tmp), "%s.tmp", ck);
        unlink(tmp); /* left by a crash while writing the checkpoint */
        unlink(ck);
    }
    if (close_out(&out) < 0 || (eout.f && close_out(&eout) < 0)) {
        cli_errorf("cannot write the output: %s", strerror(errno));
        rc = CLI_EXIT_IO;
        goto done;
    }
    summary(&c, &sb, now_ms() - start);
    if (!c.quiet) {
        cli_buf_write(&sb, stderr);
    }
    if (c.summary_path) {
        FILE *f = fopen(c.summary_path, "w");
        if (!f) {
            cli_errorf("%s: cannot write: %s", c.summary_path,
                       strerror(errno));
            rc = CLI_EXIT_IO;
            goto done;
        }
        cli_buf_write(&sb, f);
        if (fclose(f) != 0) {
            rc = CLI_EXIT_IO;
            goto done;
        }
    }
    if (c.fatal_input) {
        cli_error(&fatal_err);
        rc = fatal_err.code == KR_EIO ? CLI_EXIT_IO : CLI_EXIT_APP;
    } else if (c.rejected) {
        rc = CLI_EXIT_APP;
    }
done:
    syncer_stop(&sync);
    cli_buf_free(&sb);
    if (ring) {
        for (i = 0; i < nring; i++) {
            int k;
            for (k = 0; k < BATCH; k++) {
                kr_record_free(ring[i].items[k].rec);
                free(ring[i].items[k].id);
                free(ring[i].items[k].msg);
            }
            for (k = 0; ring[i].st && k < c.nben; k++) {
                kr_sum_free(ring[i].st[k].total);
            }
            free(ring[i].st);
            cli_buf_free(&ring[i].out);
            cli_buf_free(&ring[i].errout);
        }
        free(ring);
        pthread_mutex_destroy(&c.mu);
        pthread_cond_destroy(&c.cv_work);
        pthread_cond_destroy(&c.cv_done);
    }
    if (c.st) {
        for (i = 0; i < c.nben; i++) {
            kr_sum_free(c.st[i].total);
        }
    }
    free(c.st);
    free(c.queue);
    free(th);
    free(ck);
    free(c.rules_ident);
    free(c.ckpt_opts);
    free(c.row_suffix);
    if (out.f == stdout) {
        out.f = NULL;
    }
    free_out(&out);
    free_out(&eout);
    kr_reader_free(rd);
    kr_rules_free(rules);
    if (fd > 0) {
        close(fd);
    }
    cli_strv_free(&o.rules);
    cli_strv_free(&o.benefits);
    return cli_finish(rc);
}
