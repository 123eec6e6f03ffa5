/*
 * A test double of vmcompute.dll (plus the few ole32/kernel32 entry points the binding needs),
 * loaded by JNA in place of the real DLL. Every export keeps the Windows ABI shape: PCWSTR are
 * wchar_t strings (what JNA's WString passes: UTF-16 on Windows, UTF-32 here), results are
 * CoTaskMem-allocated wide strings the caller must free, HRESULTs are int32. Behaviour is scripted by tests through the dbl_* control API.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>

typedef int32_t HRESULT;
typedef void (*hcs_cb)(uint32_t type, void *context, int32_t status, const wchar_t *data);

#define PENDING ((HRESULT)0xC0370103)
#define E_HANDLE ((HRESULT)0x80070006)
#define E_NOTFOUND ((HRESULT)0xC037010E)
#define PROC_STOPPED ((HRESULT)0x8037011F)
#define MAXOBJ 256
#define HBASE 0x1000
#define CBBASE 0x100000
#define FDBASE 0x10000000

enum { K_SYS = 1, K_PROC = 2 };
enum { M_OK = 0, M_PENDING = 1, M_FAIL = 2 };
/* how a scripted process behaves: exit after writing, cat stdin, run until killed, exit but never close stdout */
enum { P_EXIT = 0, P_CAT = 1, P_RUN = 2, P_EXIT_HANG = 3 };

typedef struct {
    int used, kind, closed, exited, exit_code, killed, mode;
    char id[256];
    uint32_t pid;
    int sys;
    hcs_cb cb;
    void *ctx;
    int cb_live;
    int in_r, out_w, err_w, out_r, err_r;
    pthread_t worker;
    int has_worker;
} obj_t;

typedef struct {
    int used;
    char fn[64];
    int mode;
    HRESULT hr;
    char *json;
    int delay_ms;
    uint32_t notif;
} script_t;

typedef struct { char fn[64]; char *text; } input_t;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static obj_t objs[MAXOBJ];
static script_t scripts[64];
static input_t inputs[64];
static long live_mem, live_handles, live_callbacks, double_closes, callbacks_fired;
static uint32_t next_pid = 100;
static char next_out[4096], next_err[4096];
static int next_exit_code, next_mode;
static int leave_unregistered;

/* ---- CoTaskMem, counted so tests can assert every result string was freed ---- */
void *CoTaskMemAlloc(size_t n) {
    size_t *p = malloc(n + sizeof(size_t) * 2);
    if (!p) return NULL;
    p[0] = 0xC0FFEE;
    pthread_mutex_lock(&mu); live_mem++; pthread_mutex_unlock(&mu);
    return p + 2;
}

void CoTaskMemFree(void *v) {
    if (!v) return;
    size_t *p = (size_t *)v - 2;
    if (p[0] != 0xC0FFEE) { fprintf(stderr, "hcs_double: bad CoTaskMemFree %p\n", v); abort(); }
    p[0] = 0;
    pthread_mutex_lock(&mu); live_mem--; pthread_mutex_unlock(&mu);
    free(p);
}

/* ---- UTF-8 <-> wchar_t: JNA widens each UTF-16 unit of a Java string to a wchar_t, so
 * characters beyond the BMP arrive as surrogate pairs, as they would on Windows ---- */
static wchar_t *w_from_utf8(const char *s) {
    if (!s) return NULL;
    size_t n = strlen(s);
    wchar_t *w = CoTaskMemAlloc((n + 1) * 2 * sizeof(wchar_t));
    size_t o = 0;
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        uint32_t c = u[i];
        int len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
        if (len == 2) c = ((c & 0x1F) << 6) | (u[i + 1] & 0x3F);
        else if (len == 3) c = ((c & 0x0F) << 12) | ((u[i + 1] & 0x3F) << 6) | (u[i + 2] & 0x3F);
        else if (len == 4) c = ((c & 0x07) << 18) | ((u[i + 1] & 0x3F) << 12) | ((u[i + 2] & 0x3F) << 6) | (u[i + 3] & 0x3F);
        i += len;
        if (c >= 0x10000) { c -= 0x10000; w[o++] = 0xD800 | (c >> 10); w[o++] = 0xDC00 | (c & 0x3FF); }
        else w[o++] = (wchar_t)c;
    }
    w[o] = 0;
    return w;
}

static char *utf8_from_w(const wchar_t *w) {
    if (!w) return NULL;
    size_t n = wcslen(w);
    char *s = malloc(n * 4 + 1), *o = s;
    for (size_t i = 0; i < n; i++) {
        uint32_t c = (uint32_t)w[i];
        if (c >= 0xD800 && c < 0xDC00 && i + 1 < n) c = 0x10000 + ((c - 0xD800) << 10) + ((uint32_t)w[++i] - 0xDC00);
        if (c < 0x80) *o++ = c;
        else if (c < 0x800) { *o++ = 0xC0 | (c >> 6); *o++ = 0x80 | (c & 0x3F); }
        else if (c < 0x10000) { *o++ = 0xE0 | (c >> 12); *o++ = 0x80 | ((c >> 6) & 0x3F); *o++ = 0x80 | (c & 0x3F); }
        else { *o++ = 0xF0 | (c >> 18); *o++ = 0x80 | ((c >> 12) & 0x3F); *o++ = 0x80 | ((c >> 6) & 0x3F); *o++ = 0x80 | (c & 0x3F); }
    }
    *o = 0;
    return s;
}

static void record(const char *fn, const wchar_t *doc) {
    char *t = utf8_from_w(doc);
    pthread_mutex_lock(&mu);
    int slot = -1;
    for (int i = 0; i < 64; i++) {
        if (inputs[i].fn[0] && !strcmp(inputs[i].fn, fn)) { slot = i; break; }
        if (!inputs[i].fn[0] && slot < 0) slot = i;
    }
    if (slot >= 0) {
        free(inputs[slot].text);
        snprintf(inputs[slot].fn, sizeof inputs[slot].fn, "%s", fn);
        inputs[slot].text = t;
    } else free(t);
    pthread_mutex_unlock(&mu);
}

/* ---- control API ---- */
void dbl_reset(void) {
    pthread_mutex_lock(&mu);
    for (int i = 0; i < 64; i++) { free(scripts[i].json); memset(&scripts[i], 0, sizeof scripts[i]); }
    next_out[0] = next_err[0] = 0;
    next_exit_code = 0;
    next_mode = P_EXIT;
    leave_unregistered = 0;
    double_closes = 0;
    pthread_mutex_unlock(&mu);
}

/* Queue the next outcome of function fn. notif 0 picks the completion that fn's pending implies. */
void dbl_script(const char *fn, int mode, int32_t hr, const char *json, int delay_ms, uint32_t notif) {
    pthread_mutex_lock(&mu);
    for (int i = 0; i < 64; i++) {
        if (!scripts[i].used) {
            scripts[i].used = 1;
            snprintf(scripts[i].fn, sizeof scripts[i].fn, "%s", fn);
            scripts[i].mode = mode;
            scripts[i].hr = hr;
            scripts[i].json = json ? strdup(json) : NULL;
            scripts[i].delay_ms = delay_ms;
            scripts[i].notif = notif;
            break;
        }
    }
    pthread_mutex_unlock(&mu);
}

void dbl_next_process(const char *out, const char *err, int exit_code, int mode) {
    pthread_mutex_lock(&mu);
    snprintf(next_out, sizeof next_out, "%s", out ? out : "");
    snprintf(next_err, sizeof next_err, "%s", err ? err : "");
    next_exit_code = exit_code;
    next_mode = mode;
    pthread_mutex_unlock(&mu);
}

long dbl_live_cotaskmem(void) { pthread_mutex_lock(&mu); long v = live_mem; pthread_mutex_unlock(&mu); return v; }
long dbl_live_handles(void) { pthread_mutex_lock(&mu); long v = live_handles; pthread_mutex_unlock(&mu); return v; }
long dbl_live_callbacks(void) { pthread_mutex_lock(&mu); long v = live_callbacks; pthread_mutex_unlock(&mu); return v; }
long dbl_double_closes(void) { pthread_mutex_lock(&mu); long v = double_closes; pthread_mutex_unlock(&mu); return v; }
long dbl_callbacks_fired(void) { pthread_mutex_lock(&mu); long v = callbacks_fired; pthread_mutex_unlock(&mu); return v; }

/* Copies the last document passed to fn into buf (UTF-8); returns its length or -1. */
int dbl_last_input(const char *fn, char *buf, int cap) {
    int n = -1;
    pthread_mutex_lock(&mu);
    for (int i = 0; i < 64; i++) {
        if (inputs[i].fn[0] && !strcmp(inputs[i].fn, fn)) {
            const char *t = inputs[i].text ? inputs[i].text : "";
            n = (int)strlen(t);
            snprintf(buf, cap, "%s", t);
            break;
        }
    }
    pthread_mutex_unlock(&mu);
    return n;
}

static int take_script(const char *fn, script_t *out) {
    int found = 0;
    pthread_mutex_lock(&mu);
    for (int i = 0; i < 64; i++) {
        if (scripts[i].used && !strcmp(scripts[i].fn, fn)) {
            *out = scripts[i];
            memset(&scripts[i], 0, sizeof scripts[i]); /* json ownership moves to out */
            found = 1;
            break;
        }
    }
    pthread_mutex_unlock(&mu);
    return found;
}

/* ---- cross-process mode, for a shim run as a process of its own against this double ----
 * HCS_DOUBLE_STATE_DIR keeps a file per compute system holding its state (created, running,
 * terminated), because the real service outlives the shim that made a system: another process
 * (containerd's `delete` after the shim was killed) can open a system it finds there.
 * HCS_DOUBLE_PROCESS ("<exit code>:<stdout>") scripts every process of that process. In this
 * mode Terminate completes as the service's does: pending, then SystemExited. */
static const char *state_dir(void) {
    const char *d = getenv("HCS_DOUBLE_STATE_DIR");
    return d && *d ? d : NULL;
}

static void save_state(const char *id, const char *state) {
    char path[512];
    if (!state_dir()) return;
    snprintf(path, sizeof path, "%s/%s", state_dir(), id);
    FILE *f = fopen(path, "w");
    if (f) { fputs(state, f); fclose(f); }
}

/* A system another process made that nobody terminated. */
static int survives(const char *id) {
    char path[512], state[32] = "";
    if (!state_dir()) return 0;
    snprintf(path, sizeof path, "%s/%s", state_dir(), id);
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    if (!fgets(state, sizeof state, f)) state[0] = 0;
    fclose(f);
    return strcmp(state, "terminated") != 0;
}

__attribute__((constructor)) static void process_from_env(void) {
    const char *p = getenv("HCS_DOUBLE_PROCESS");
    if (!p) return;
    next_exit_code = atoi(p);
    const char *out = strchr(p, ':');
    if (out) snprintf(next_out, sizeof next_out, "%s", out + 1);
}

static int has_script(const char *fn) {
    int found = 0;
    pthread_mutex_lock(&mu);
    for (int i = 0; i < 64 && !found; i++) found = scripts[i].used && !strcmp(scripts[i].fn, fn);
    pthread_mutex_unlock(&mu);
    return found;
}

/* ---- handles ---- */
static obj_t *lookup(void *h, int kind) { /* caller holds mu */
    intptr_t i = (intptr_t)h - HBASE;
    if (i < 0 || i >= MAXOBJ || !objs[i].used || objs[i].closed || objs[i].kind != kind) return NULL;
    return &objs[i];
}

static int alloc_obj(int kind) { /* caller holds mu */
    for (int i = 0; i < MAXOBJ; i++) {
        if (!objs[i].used) {
            memset(&objs[i], 0, sizeof objs[i]);
            objs[i].used = 1;
            objs[i].kind = kind;
            objs[i].in_r = objs[i].out_w = objs[i].err_w = objs[i].out_r = objs[i].err_r = -1;
            live_handles++;
            return i;
        }
    }
    return -1;
}

/* ---- notifications, always from a thread of our own like the real service ---- */
typedef struct { int idx; uint32_t type; HRESULT status; char *json; int delay_ms; } fire_t;

static void *fire_thread(void *arg) {
    fire_t *f = arg;
    if (f->delay_ms > 0) usleep(f->delay_ms * 1000);
    pthread_mutex_lock(&mu);
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += 10;
    /* the binding registers its callback right after the call that made the handle returns */
    while (!objs[f->idx].cb && !objs[f->idx].closed && !leave_unregistered)
        if (pthread_cond_timedwait(&cv, &mu, &dl) == ETIMEDOUT) break;
    hcs_cb cb = objs[f->idx].cb;
    void *ctx = objs[f->idx].ctx;
    if (cb) callbacks_fired++;
    pthread_mutex_unlock(&mu);
    wchar_t *data = f->json ? w_from_utf8(f->json) : NULL;
    if (cb) cb(f->type, ctx, f->status, data); /* the receiver frees data */
    else if (data) CoTaskMemFree(data);
    free(f->json);
    free(f);
    return NULL;
}

static void fire(int idx, uint32_t type, HRESULT status, const char *json, int delay_ms) {
    fire_t *f = calloc(1, sizeof *f);
    f->idx = idx; f->type = type; f->status = status; f->json = json ? strdup(json) : NULL; f->delay_ms = delay_ms;
    pthread_t t;
    pthread_create(&t, NULL, fire_thread, f);
    pthread_detach(t);
}

/* Fires any notification on a system or process handle (e.g. SystemExited, ServiceDisconnect). */
void dbl_notify(void *h, uint32_t type, int32_t status, const char *json, int delay_ms) {
    intptr_t i = (intptr_t)h - HBASE;
    if (i >= 0 && i < MAXOBJ) fire((int)i, type, status, json, delay_ms);
}

/* Applies a script (or the default success) to a call: result string, pending completion. */
static HRESULT outcome(const char *fn, int idx, uint32_t default_notif, wchar_t **result, wchar_t **output, const char *default_output) {
    script_t s;
    if (result) *result = NULL;
    if (!take_script(fn, &s)) {
        if (output) *output = default_output ? w_from_utf8(default_output) : NULL;
        return 0;
    }
    HRESULT hr = 0;
    if (s.mode == M_OK) {
        if (output) *output = w_from_utf8(s.json ? s.json : default_output);
    } else if (s.mode == M_PENDING) {
        if (output) *output = NULL;
        fire(idx, s.notif ? s.notif : default_notif, s.hr, s.json, s.delay_ms);
        hr = PENDING;
    } else {
        if (output) *output = NULL;
        if (result && s.json) *result = w_from_utf8(s.json);
        hr = s.hr;
    }
    free(s.json);
    return hr;
}

/* ---- compute systems ---- */
HRESULT HcsEnumerateComputeSystems(const wchar_t *query, wchar_t **systems, wchar_t **result) {
    record("HcsEnumerateComputeSystems", query);
    return outcome("HcsEnumerateComputeSystems", -1, 0, result, systems, "[]");
}

HRESULT HcsCreateComputeSystem(const wchar_t *id, const wchar_t *config, void *identity, void **sys, wchar_t **result) {
    (void)identity;
    record("HcsCreateComputeSystem", config);
    record("HcsCreateComputeSystem.id", id);
    *sys = NULL;
    pthread_mutex_lock(&mu);
    int idx = alloc_obj(K_SYS);
    char *sid = utf8_from_w(id);
    snprintf(objs[idx].id, sizeof objs[idx].id, "%s", sid);
    free(sid);
    pthread_mutex_unlock(&mu);
    HRESULT hr = outcome("HcsCreateComputeSystem", idx, 0x2, result, NULL, NULL);
    if (hr != 0 && hr != PENDING) {
        pthread_mutex_lock(&mu); objs[idx].used = 0; live_handles--; pthread_mutex_unlock(&mu);
        return hr;
    }
    *sys = (void *)(intptr_t)(HBASE + idx);
    save_state(objs[idx].id, "created");
    return hr;
}

HRESULT HcsOpenComputeSystem(const wchar_t *id, void **sys, wchar_t **result) {
    record("HcsOpenComputeSystem", id);
    *sys = NULL;
    *result = NULL;
    char *sid = utf8_from_w(id);
    pthread_mutex_lock(&mu);
    int found = -1;
    for (int i = 0; i < MAXOBJ; i++)
        if (objs[i].used && !objs[i].closed && objs[i].kind == K_SYS && !strcmp(objs[i].id, sid)) { found = i; break; }
    int idx = found >= 0 || survives(sid) ? alloc_obj(K_SYS) : -1;
    if (idx >= 0) snprintf(objs[idx].id, sizeof objs[idx].id, "%s", sid);
    pthread_mutex_unlock(&mu);
    free(sid);
    if (idx < 0) {
        *result = w_from_utf8("{\"Error\":-1070137074,\"ErrorMessage\":\"A virtual machine or container with the specified identifier does not exist.\"}");
        return E_NOTFOUND;
    }
    HRESULT hr = outcome("HcsOpenComputeSystem", idx, 0, result, NULL, NULL);
    if (hr == 0) *sys = (void *)(intptr_t)(HBASE + idx);
    return hr;
}

static HRESULT close_obj(void *h, int kind) {
    pthread_mutex_lock(&mu);
    intptr_t i = (intptr_t)h - HBASE;
    if (i < 0 || i >= MAXOBJ || !objs[i].used || objs[i].kind != kind) { double_closes++; pthread_mutex_unlock(&mu); return E_HANDLE; }
    if (objs[i].closed) { double_closes++; pthread_mutex_unlock(&mu); return E_HANDLE; }
    objs[i].closed = 1;
    live_handles--;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    return 0;
}

HRESULT HcsCloseComputeSystem(void *sys) { return close_obj(sys, K_SYS); }

/* STATE (or NULL) is what the system's state file says after the call succeeded. */
#define SYS_OP(NAME, NOTIF, STATE)                                                    \
    HRESULT NAME(void *sys, const wchar_t *options, wchar_t **result) {               \
        record(#NAME, options);                                                       \
        pthread_mutex_lock(&mu);                                                      \
        obj_t *o = lookup(sys, K_SYS);                                                \
        int idx = o ? (int)(o - objs) : -1;                                           \
        char id[256];                                                                 \
        if (o) snprintf(id, sizeof id, "%s", o->id);                                  \
        pthread_mutex_unlock(&mu);                                                    \
        if (!o) { *result = NULL; return E_HANDLE; }                                  \
        if (state_dir() && !strcmp(#NAME, "HcsTerminateComputeSystem") && !has_script(#NAME)) \
            dbl_script(#NAME, M_PENDING, 0, NULL, 0, 0);                              \
        HRESULT hr = outcome(#NAME, idx, NOTIF, result, NULL, NULL);                  \
        if ((hr == 0 || hr == PENDING) && STATE) save_state(id, STATE);               \
        return hr;                                                                    \
    }

SYS_OP(HcsStartComputeSystem, 0x3, "running")
SYS_OP(HcsShutdownComputeSystem, 0x1, "terminated")
SYS_OP(HcsTerminateComputeSystem, 0x1, "terminated")
SYS_OP(HcsPauseComputeSystem, 0x4, NULL)
SYS_OP(HcsResumeComputeSystem, 0x5, NULL)
SYS_OP(HcsSaveComputeSystem, 0x8, NULL)
SYS_OP(HcsModifyComputeSystem, 0xC, NULL)

HRESULT HcsGetComputeSystemProperties(void *sys, const wchar_t *query, wchar_t **props, wchar_t **result) {
    record("HcsGetComputeSystemProperties", query);
    pthread_mutex_lock(&mu);
    obj_t *o = lookup(sys, K_SYS);
    char def[512];
    if (o) snprintf(def, sizeof def, "{\"Id\":\"%s\",\"SystemType\":\"Container\",\"RuntimeOsType\":\"Windows\",\"State\":\"Running\"}", o->id);
    pthread_mutex_unlock(&mu);
    if (!o) { *props = NULL; *result = NULL; return E_HANDLE; }
    return outcome("HcsGetComputeSystemProperties", (int)(o - objs), 0xB, result, props, def);
}

HRESULT HcsModifyServiceSettings(const wchar_t *settings, wchar_t **result) {
    record("HcsModifyServiceSettings", settings);
    return outcome("HcsModifyServiceSettings", -1, 0, result, NULL, NULL);
}

HRESULT HcsGetServiceProperties(const wchar_t *query, wchar_t **props, wchar_t **result) {
    record("HcsGetServiceProperties", query);
    return outcome("HcsGetServiceProperties", -1, 0, result, props, "{\"PropertyResponses\":{}}");
}

static HRESULT register_cb(void *h, int kind, hcs_cb cb, void *ctx, void **cbh) {
    pthread_mutex_lock(&mu);
    obj_t *o = lookup(h, kind);
    if (!o) { pthread_mutex_unlock(&mu); *cbh = NULL; return E_HANDLE; }
    o->cb = cb;
    o->ctx = ctx;
    o->cb_live = 1;
    live_callbacks++;
    *cbh = (void *)(intptr_t)(CBBASE + (o - objs));
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    return 0;
}

static HRESULT unregister_cb(void *cbh) {
    pthread_mutex_lock(&mu);
    intptr_t i = (intptr_t)cbh - CBBASE;
    if (i < 0 || i >= MAXOBJ || !objs[i].cb_live) { pthread_mutex_unlock(&mu); return E_HANDLE; }
    objs[i].cb_live = 0;
    objs[i].cb = NULL;
    live_callbacks--;
    pthread_mutex_unlock(&mu);
    return 0;
}

HRESULT HcsRegisterComputeSystemCallback(void *sys, hcs_cb cb, void *ctx, void **cbh) { return register_cb(sys, K_SYS, cb, ctx, cbh); }
HRESULT HcsUnregisterComputeSystemCallback(void *cbh) { return unregister_cb(cbh); }
HRESULT HcsRegisterProcessCallback(void *p, hcs_cb cb, void *ctx, void **cbh) { return register_cb(p, K_PROC, cb, ctx, cbh); }
HRESULT HcsUnregisterProcessCallback(void *cbh) { return unregister_cb(cbh); }

/* ---- processes ---- */
typedef struct {
    uint32_t ProcessId;
    uint32_t Reserved;
    void *StdInput, *StdOutput, *StdError;
} proc_info_t;

static void *fdh(int fd) { return fd < 0 ? NULL : (void *)(intptr_t)(FDBASE + fd); }

static void write_all(int fd, const char *s) {
    size_t n = strlen(s);
    while (fd >= 0 && n > 0) {
        ssize_t w = write(fd, s, n);
        if (w <= 0) break;
        s += w; n -= w;
    }
}

static void finish(int idx, int code) {
    pthread_mutex_lock(&mu);
    obj_t *o = &objs[idx];
    if (o->exited) { pthread_mutex_unlock(&mu); return; }
    o->exited = 1;
    o->exit_code = code;
    int hang = o->mode == P_EXIT_HANG;
    int out = o->out_w, err = o->err_w, in = o->in_r;
    o->err_w = -1; o->in_r = -1;
    if (!hang) o->out_w = -1;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    if (!hang && out >= 0) close(out);
    if (err >= 0) close(err);
    if (in >= 0) close(in);
    fire(idx, 0x00010000, 0, NULL, 0);
}


typedef struct { int idx; char out[4096]; char err[4096]; int code; int mode; } worker_t;

static void *run_proc(void *arg) {
    worker_t *w = arg;
    pthread_mutex_lock(&mu);
    int out = objs[w->idx].out_w, err = objs[w->idx].err_w, in = objs[w->idx].in_r;
    pthread_mutex_unlock(&mu);
    write_all(out, w->out);
    write_all(err, w->err);
    if (w->mode == P_CAT && in >= 0) {
        char buf[4096];
        ssize_t n;
        while ((n = read(in, buf, sizeof buf)) > 0) {
            buf[n] = 0;
            ssize_t off = 0;
            while (off < n) { ssize_t k = write(out, buf + off, n - off); if (k <= 0) break; off += k; }
        }
        finish(w->idx, w->code);
    } else if (w->mode == P_RUN) {
        pthread_mutex_lock(&mu);
        while (!objs[w->idx].killed) pthread_cond_wait(&cv, &mu);
        pthread_mutex_unlock(&mu);
        finish(w->idx, 1);
    } else {
        finish(w->idx, w->code);
    }
    free(w);
    return NULL;
}

HRESULT HcsCreateProcess(void *sys, const wchar_t *params, proc_info_t *info, void **proc, wchar_t **result) {
    record("HcsCreateProcess", params);
    *proc = NULL;
    *result = NULL;
    memset(info, 0, sizeof *info);
    pthread_mutex_lock(&mu);
    obj_t *s = lookup(sys, K_SYS);
    int sidx = s ? (int)(s - objs) : -1;
    pthread_mutex_unlock(&mu);
    if (!s) return E_HANDLE;
    HRESULT hr = outcome("HcsCreateProcess", sidx, 0, result, NULL, NULL);
    if (hr != 0) return hr;
    char *p = utf8_from_w(params);
    int want_in = strstr(p, "\"CreateStdInPipe\":true") != NULL;
    int want_out = strstr(p, "\"CreateStdOutPipe\":true") != NULL;
    int want_err = strstr(p, "\"CreateStdErrPipe\":true") != NULL;
    free(p);
    int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1};
    if (want_in && pipe(in)) return E_HANDLE;
    if (want_out && pipe(out)) return E_HANDLE;
    if (want_err && pipe(err)) return E_HANDLE;
    worker_t *w = calloc(1, sizeof *w);
    pthread_mutex_lock(&mu);
    int idx = alloc_obj(K_PROC);
    obj_t *o = &objs[idx];
    o->pid = next_pid++;
    o->sys = sidx;
    o->in_r = in[0]; o->out_w = out[1]; o->err_w = err[1];
    o->out_r = out[0]; o->err_r = err[0];
    o->mode = next_mode;
    w->idx = idx;
    snprintf(w->out, sizeof w->out, "%s", next_out);
    snprintf(w->err, sizeof w->err, "%s", next_err);
    w->code = next_exit_code;
    w->mode = next_mode;
    info->ProcessId = o->pid;
    pthread_mutex_unlock(&mu);
    info->StdInput = fdh(in[1]);
    info->StdOutput = fdh(out[0]);
    info->StdError = fdh(err[0]);
    *proc = (void *)(intptr_t)(HBASE + idx);
    pthread_t t;
    pthread_create(&t, NULL, run_proc, w);
    pthread_detach(t);
    return 0;
}

HRESULT HcsOpenProcess(void *sys, uint32_t pid, void **proc, wchar_t **result) {
    *proc = NULL;
    *result = NULL;
    pthread_mutex_lock(&mu);
    obj_t *s = lookup(sys, K_SYS);
    int found = -1;
    for (int i = 0; s && i < MAXOBJ; i++)
        if (objs[i].used && objs[i].kind == K_PROC && objs[i].pid == pid && !objs[i].exited) { found = i; break; }
    int idx = -1;
    if (found >= 0) {
        idx = alloc_obj(K_PROC);
        objs[idx].pid = pid;
        objs[idx].sys = (int)(s - objs);
        objs[idx].exited = 0;
        objs[idx].mode = objs[found].mode;
    }
    pthread_mutex_unlock(&mu);
    if (!s) return E_HANDLE;
    if (idx < 0) return (HRESULT)0x80070490; /* ERROR_ELEMENT_NOT_FOUND as an HRESULT */
    *proc = (void *)(intptr_t)(HBASE + idx);
    return 0;
}

HRESULT HcsCloseProcess(void *proc) { return close_obj(proc, K_PROC); }

HRESULT HcsTerminateProcess(void *proc, wchar_t **result) {
    pthread_mutex_lock(&mu);
    obj_t *o = lookup(proc, K_PROC);
    int exited = o ? o->exited : 0;
    uint32_t pid = o ? o->pid : 0;
    int idx = o ? (int)(o - objs) : -1;
    pthread_mutex_unlock(&mu);
    *result = NULL;
    if (!o) return E_HANDLE;
    HRESULT hr = outcome("HcsTerminateProcess", idx, 0, result, NULL, NULL);
    if (hr != 0) return hr;
    if (exited) return PROC_STOPPED;
    pthread_mutex_lock(&mu);
    for (int i = 0; i < MAXOBJ; i++)
        if (objs[i].used && objs[i].kind == K_PROC && objs[i].pid == pid) objs[i].killed = 1;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    /* a process that is not a scripted runner dies here */
    if (o->mode != P_RUN) finish(idx, 1);
    return 0;
}

HRESULT HcsSignalProcess(void *proc, const wchar_t *options, wchar_t **result) {
    record("HcsSignalProcess", options);
    pthread_mutex_lock(&mu);
    obj_t *o = lookup(proc, K_PROC);
    pthread_mutex_unlock(&mu);
    *result = NULL;
    if (!o) return E_HANDLE;
    return outcome("HcsSignalProcess", (int)(o - objs), 0, result, NULL, NULL);
}

HRESULT HcsGetProcessInfo(void *proc, proc_info_t *info, wchar_t **result) {
    pthread_mutex_lock(&mu);
    obj_t *o = lookup(proc, K_PROC);
    if (o) { memset(info, 0, sizeof *info); info->ProcessId = o->pid; }
    pthread_mutex_unlock(&mu);
    *result = NULL;
    return o ? 0 : E_HANDLE;
}

HRESULT HcsGetProcessProperties(void *proc, wchar_t **props, wchar_t **result) {
    char def[256];
    pthread_mutex_lock(&mu);
    obj_t *o = lookup(proc, K_PROC);
    if (o) {
        int exited = o->exited, code = o->exit_code;
        /* an opened handle sees the exit of the process it names */
        for (int i = 0; i < MAXOBJ; i++)
            if (objs[i].used && objs[i].kind == K_PROC && objs[i].pid == o->pid && objs[i].exited) { exited = 1; code = objs[i].exit_code; }
        snprintf(def, sizeof def, "{\"ProcessId\":%u,\"Exited\":%s,\"ExitCode\":%d,\"LastWaitResult\":0}", o->pid, exited ? "true" : "false", code);
    }
    pthread_mutex_unlock(&mu);
    *props = NULL;
    *result = NULL;
    if (!o) return E_HANDLE;
    return outcome("HcsGetProcessProperties", (int)(o - objs), 0, result, props, def);
}

HRESULT HcsModifyProcess(void *proc, const wchar_t *settings, wchar_t **result) {
    record("HcsModifyProcess", settings);
    pthread_mutex_lock(&mu);
    obj_t *o = lookup(proc, K_PROC);
    pthread_mutex_unlock(&mu);
    *result = NULL;
    if (!o) return E_HANDLE;
    return outcome("HcsModifyProcess", (int)(o - objs), 0, result, NULL, NULL);
}

/* Ends a running process with an exit code, as if it returned on its own. */
void dbl_exit_process(uint32_t pid, int code) {
    pthread_mutex_lock(&mu);
    int idx = -1;
    for (int i = 0; i < MAXOBJ; i++)
        if (objs[i].used && objs[i].kind == K_PROC && objs[i].pid == pid && !objs[i].exited && objs[i].in_r != -2) { idx = i; break; }
    if (idx >= 0) objs[idx].mode = P_EXIT;
    pthread_mutex_unlock(&mu);
    if (idx >= 0) finish(idx, code);
}

/* ---- HNS (vmcompute's HNSCall) ---- */
HRESULT HNSCall(const wchar_t *method, const wchar_t *path, const wchar_t *object, wchar_t **response) {
    char *m = utf8_from_w(method), *p = utf8_from_w(path);
    char key[600];
    snprintf(key, sizeof key, "%s %s", m, p);
    record("HNSCall", path);
    record("HNSCall.object", object);
    free(m); free(p);
    wchar_t *ignored = NULL;
    HRESULT hr = outcome("HNSCall", -1, 0, &ignored, response, "{\"Success\":false,\"Error\":\"not found\"}");
    if (ignored) CoTaskMemFree(ignored);
    return hr;
}

/* ---- the kernel32 subset used for stdio handles, over POSIX fds; errors travel in errno ---- */
#define ERROR_BROKEN_PIPE 109
#define ERROR_INVALID_HANDLE 6

int32_t ReadFile(void *h, void *buf, uint32_t n, uint32_t *got, void *overlapped) {
    (void)overlapped;
    intptr_t fd = (intptr_t)h - FDBASE;
    *got = 0;
    if (fd < 0) { errno = ERROR_INVALID_HANDLE; return 0; }
    ssize_t r;
    do { r = read((int)fd, buf, n); } while (r < 0 && errno == EINTR);
    if (r < 0) { errno = ERROR_INVALID_HANDLE; return 0; }
    if (r == 0) { errno = ERROR_BROKEN_PIPE; return 0; } /* what a closed pipe writer looks like on Windows */
    *got = (uint32_t)r;
    return 1;
}

int32_t WriteFile(void *h, const void *buf, uint32_t n, uint32_t *put, void *overlapped) {
    (void)overlapped;
    intptr_t fd = (intptr_t)h - FDBASE;
    *put = 0;
    if (fd < 0) { errno = ERROR_INVALID_HANDLE; return 0; }
    ssize_t r;
    do { r = write((int)fd, buf, n); } while (r < 0 && errno == EINTR);
    if (r < 0) { errno = errno == EPIPE ? 232 /* ERROR_NO_DATA */ : ERROR_INVALID_HANDLE; return 0; }
    *put = (uint32_t)r;
    return 1;
}

int32_t CloseHandle(void *h) {
    intptr_t fd = (intptr_t)h - FDBASE;
    if (fd < 0 || close((int)fd) != 0) { errno = ERROR_INVALID_HANDLE; return 0; }
    return 1;
}

/* Windows aborts a blocked ReadFile on CancelIoEx; a POSIX read only ends when the writer goes,
 * so cancelling a process's stdout/stderr read end closes the double's own writer. */
int32_t CancelIoEx(void *h, void *overlapped) {
    (void)overlapped;
    intptr_t fd = (intptr_t)h - FDBASE;
    int victim = -1;
    pthread_mutex_lock(&mu);
    for (int i = 0; fd >= 0 && i < MAXOBJ; i++) {
        if (!objs[i].used || objs[i].kind != K_PROC) continue;
        if (objs[i].out_r == fd) { victim = objs[i].out_w; objs[i].out_w = -1; objs[i].out_r = -1; break; }
        if (objs[i].err_r == fd) { victim = objs[i].err_w; objs[i].err_w = -1; objs[i].err_r = -1; break; }
    }
    pthread_mutex_unlock(&mu);
    if (victim >= 0) close(victim);
    return 1;
}
