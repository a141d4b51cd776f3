/* kpolicy._cload: the common case of kpolicy.compose._build_document (the composer path of
 * kpolicy.load) in one pass over libyaml's events, with no Node or Mark object made.
 *
 * load_chunk(chunk, line_offset, max_nodes, max_depth, int_of, float_of) reads one chunk as
 * kpolicy.load.load_documents hands it to its composer and returns, for each document that is
 * not empty, (value, records): the value _build_document builds and its records (nine numbers
 * a node, pre-order, as an array.array of "H" when every number fits, else of "i"), so that the
 * caller makes the PositionTable as it does for the Python walk. It returns None for the whole
 * chunk when the chunk is not the common case, and the caller takes the Python path for it:
 * a parse error, an anchor, an alias, an explicit tag, a merge key, a duplicate key, a key
 * that is a collection, a document past max_nodes (keys included) or max_depth or nested
 * deeper than MAX_NESTING, text that is not valid Unicode, or any failure of the Python API
 * (a Python exception is cleared; a BaseException that is not an Exception, such as
 * KeyboardInterrupt, is raised).
 *
 * Plain scalars are typed by go-yaml v2's rules as kpolicy.compose's resolver table has them
 * (bool, null, int, float, merge); an int that is not a short plain decimal goes to int_of,
 * a float to float_of (kpolicy.load's own conversions). Nesting is kept on an explicit stack
 * bounded by max_depth: no C recursion.
 *
 * It also holds the loops that a schema check runs for each node and each finding of a document
 * that fails its schema (the many-findings case), and a few others that a run makes for each
 * finding or folder, each standing in for Python code that stays the fallback (without the
 * extension, or with KPOLICY_PURE_PYTHON) and that the tests hold it to: present_of and
 * explain_present (lite._present_of, _explain_present), explain_children
 * (lite._explain_children), closed_node (lite._closed_node), any_type, format_step,
 * typed_one and string_enum (lite's steps of those names: format_ for format_step),
 * children_step (the usual case of lite's items and typed_map), fast_object and fast_array
 * (kpolicy.schema.fast's _fast_object and _fast_array checks), span_of
 * and path_walk (PositionTable.span_of, _walk), new_record (a record's open twin,
 * kpolicy.records.slot_maker), schema_diagnostics (the loop of
 * kpolicy.checks.schema_rules.schema_diagnostics), flat_findings
 * (kpolicy.lint.run._findings), finding_fields (a worker's
 * kpolicy.lint.run._flat_fields), sort_findings (kpolicy.model.sort_findings),
 * generic_duplicates (kpolicy.lint.post.drop_generic_duplicates), path_pointer
 * (kpolicy.model._pointer), json_lines (the loop of
 * kpolicy.report.json_report._Lines), sort_key (kpolicy.model.SORT_KEY), list_folder (a folder
 * of kpolicy.discover._walk) and stamp_folder (a folder of kpolicy.cache._tree_stamp).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <yaml.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#ifdef __linux__
#include <sys/mman.h>
#include <sched.h>
#include <signal.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/syscall.h>
#endif
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif

#define RECORD 9

/* How deep this loader nests collections, whatever max_depth allows: the libyaml that PyYAML's
 * wheels bundle (0.2.6 with PyYAML 6.0.4) refuses 1,000 levels of flow or block nesting as
 * invalid YAML, and 0.2.5 (Debian's libyaml-dev, which this module may be linked to) reads
 * them. A deeper chunk (only with limits.maxDepth raised) takes the Python path, PyYAML's
 * libyaml, so that the report does not depend on the libyaml this module found. */
#define MAX_NESTING 500

typedef struct {
    PyObject *container; /* borrowed: held by its parent (or root) */
    int is_map;
    int flow;
    Py_ssize_t position;  /* the index of its record's first number */
    Py_ssize_t last;      /* the record of the last item or value built, -1 none */
    Py_ssize_t items;
    long line, column;    /* its start, as written in its record */
    PyObject *key;        /* a mapping's key waiting for its value (owned), or NULL */
    long kl, kc, kel, kec;
} Frame;

typedef struct {
    long *data;
    Py_ssize_t size, capacity;
} Records;

static PyObject *array_type = NULL; /* array.array, imported when first needed */

enum { FAIL = -1, OK = 0 };

static int
records_reserve(Records *records, Py_ssize_t more)
{
    if (records->size + more <= records->capacity)
        return OK;
    Py_ssize_t capacity = records->capacity ? records->capacity : 9 * 64;
    while (capacity < records->size + more) {
        if (capacity > PY_SSIZE_T_MAX / 2 / (Py_ssize_t)sizeof(long))
            return FAIL;
        capacity *= 2;
    }
    long *data = PyMem_Realloc(records->data, (size_t)capacity * sizeof(long));
    if (data == NULL) {
        PyErr_NoMemory();
        return FAIL;
    }
    records->data = data;
    records->capacity = capacity;
    return OK;
}

/* The tags kpolicy.compose's resolver gives a plain scalar (go-yaml v2's resolve()). */
enum { T_STR, T_TRUE, T_FALSE, T_NULL, T_INT, T_FLOAT, T_MERGE };

static int
is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

/* Whether the n bytes at s are the word, a string literal (its length known when compiled). */
#define IS_WORD(s, n, word) ((n) == sizeof(word) - 1 && memcmp((s), (word), sizeof(word) - 1) == 0)

static int
match_bool(const char *s, size_t n)
{
    /* y|Y|yes|Yes|YES|true|True|TRUE|on|On|ON and n|N|no|No|NO|false|False|FALSE|off|Off|OFF,
     * by length first */
    switch (n) {
    case 1:
        if (s[0] == 'y' || s[0] == 'Y')
            return T_TRUE;
        if (s[0] == 'n' || s[0] == 'N')
            return T_FALSE;
        return -1;
    case 2:
        if (IS_WORD(s, n, "on") || IS_WORD(s, n, "On") || IS_WORD(s, n, "ON"))
            return T_TRUE;
        if (IS_WORD(s, n, "no") || IS_WORD(s, n, "No") || IS_WORD(s, n, "NO"))
            return T_FALSE;
        return -1;
    case 3:
        if (IS_WORD(s, n, "yes") || IS_WORD(s, n, "Yes") || IS_WORD(s, n, "YES"))
            return T_TRUE;
        if (IS_WORD(s, n, "off") || IS_WORD(s, n, "Off") || IS_WORD(s, n, "OFF"))
            return T_FALSE;
        return -1;
    case 4:
        if (IS_WORD(s, n, "true") || IS_WORD(s, n, "True") || IS_WORD(s, n, "TRUE"))
            return T_TRUE;
        return -1;
    case 5:
        if (IS_WORD(s, n, "false") || IS_WORD(s, n, "False") || IS_WORD(s, n, "FALSE"))
            return T_FALSE;
        return -1;
    default:
        return -1;
    }
}

/* ^[-+]?(?:0b[01_]+|0x[0-9a-fA-F_]+|0o[0-7_]+|0[0-7_]*|[1-9][0-9_]*)$ */
static int
match_int(const char *s, size_t n)
{
    size_t i = 0;
    if (i < n && (s[i] == '-' || s[i] == '+'))
        i++;
    if (i >= n)
        return 0;
    if (s[i] == '0') {
        if (i + 1 < n && (s[i + 1] == 'b' || s[i + 1] == 'x' || s[i + 1] == 'o')) {
            char base = s[i + 1];
            size_t j = i + 2;
            if (j >= n)
                return 0;
            for (; j < n; j++) {
                unsigned char c = (unsigned char)s[j];
                int good = c == '_' ||
                           (base == 'b' ? (c == '0' || c == '1')
                            : base == 'o' ? (c >= '0' && c <= '7')
                                          : (is_digit(c) || (c >= 'a' && c <= 'f') ||
                                             (c >= 'A' && c <= 'F')));
                if (!good)
                    return 0;
            }
            return 1;
        }
        for (size_t j = i + 1; j < n; j++)
            if (!((s[j] >= '0' && s[j] <= '7') || s[j] == '_'))
                return 0;
        return 1;
    }
    if (s[i] < '1' || s[i] > '9')
        return 0;
    for (size_t j = i + 1; j < n; j++)
        if (!(is_digit((unsigned char)s[j]) || s[j] == '_'))
            return 0;
    return 1;
}

/* ^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?
 *   |[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$ */
static int
match_float(const char *s, size_t n)
{
    if (IS_WORD(s, n, ".nan") || IS_WORD(s, n, ".NaN") || IS_WORD(s, n, ".NAN"))
        return 1;
    size_t i = 0;
    if (i < n && (s[i] == '-' || s[i] == '+'))
        i++;
    if (n - i == 4 && s[i] == '.' &&
        (memcmp(s + i + 1, "inf", 3) == 0 || memcmp(s + i + 1, "Inf", 3) == 0 ||
         memcmp(s + i + 1, "INF", 3) == 0))
        return 1;
    if (i < n && s[i] == '.') {
        i++;
        size_t digits = i;
        while (i < n && is_digit((unsigned char)s[i]))
            i++;
        if (i == digits)
            return 0;
    }
    else {
        size_t digits = i;
        while (i < n && is_digit((unsigned char)s[i]))
            i++;
        if (i == digits)
            return 0;
        if (i < n && s[i] == '.') {
            i++;
            while (i < n && is_digit((unsigned char)s[i]))
                i++;
        }
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '-' || s[i] == '+'))
            i++;
        size_t digits = i;
        while (i < n && is_digit((unsigned char)s[i]))
            i++;
        if (i == digits)
            return 0;
    }
    return i == n;
}

/* The tag of a plain scalar, or -1 when the rules' `$` would also match before a final line
 * break (not in a plain scalar libyaml reads; the Python path decides it). */
static int
resolve_plain(const char *s, size_t n)
{
    if (n == 0)
        return T_NULL;
    switch (s[0]) {
    case 'y': case 'Y': case 'n': case 'N': case 't': case 'T': case 'f': case 'F':
    case 'o': case 'O': case '~': case '-': case '+': case '.': case '<':
    case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7':
    case '8': case '9':
        break;
    default:
        return T_STR;
    }
    if (s[n - 1] == '\n')
        return -1;
    int tag = match_bool(s, n);
    if (tag >= 0)
        return tag;
    if (IS_WORD(s, n, "~") || IS_WORD(s, n, "null") || IS_WORD(s, n, "Null") ||
        IS_WORD(s, n, "NULL"))
        return T_NULL;
    if (match_int(s, n))
        return T_INT;
    if (match_float(s, n))
        return T_FLOAT;
    if (IS_WORD(s, n, "<<"))
        return T_MERGE;
    return T_STR;
}

/* kpolicy.load._plain_decimal: ASCII digits only, no leading zero, at most 18 of them */
static int
plain_decimal(const char *s, size_t n)
{
    if (n == 0 || n > 18 || (s[0] == '0' && n > 1))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!is_digit((unsigned char)s[i]))
            return 0;
    return 1;
}

/* The interned strings of short ASCII scalars read before, by their bytes: keys and short
 * values repeat in every object (apiVersion, name, image, protocol), and a string found here
 * is neither decoded, nor hashed, nor looked up among the interned strings again (its hash is
 * cached in it for the dict it goes into). One string a slot, the last one read there: a
 * string here is the one interning gives (the slot's reference keeps it interned). */
#define CACHE_SLOTS 4096 /* a power of two */
#define CACHE_MAX_LENGTH 64

typedef struct {
    uint64_t hash;
    PyObject *text;
} CacheSlot;

static CacheSlot cache[CACHE_SLOTS];

/* An interned str of the n bytes at s (a new reference), NULL with a Python error. */
static PyObject *
interned_text(const char *s, size_t n)
{
    CacheSlot *slot = NULL;
    uint64_t hash = 14695981039346656037ULL; /* FNV-1a */
    if (n <= CACHE_MAX_LENGTH) {
        unsigned char high = 0;
        for (size_t i = 0; i < n; i++) {
            unsigned char c = (unsigned char)s[i];
            high |= c;
            hash = (hash ^ c) * 1099511628211ULL;
        }
        if (!(high & 0x80)) {
            slot = &cache[(hash ^ (hash >> 32)) & (CACHE_SLOTS - 1)];
            PyObject *known = slot->text;
            if (known != NULL && slot->hash == hash &&
                PyUnicode_GET_LENGTH(known) == (Py_ssize_t)n &&
                memcmp(PyUnicode_DATA(known), s, n) == 0)
                return Py_NewRef(known);
        }
    }
    PyObject *text = PyUnicode_DecodeUTF8(s, (Py_ssize_t)n, "strict");
    if (text == NULL)
        return NULL;
    PyUnicode_InternInPlace(&text);
    if (slot != NULL && PyUnicode_IS_COMPACT_ASCII(text)) {
        Py_XSETREF(slot->text, Py_NewRef(text));
        slot->hash = hash;
    }
    return text;
}

typedef struct {
    PyObject *int_of, *float_of;
    long long max_nodes, max_depth;
    long offset; /* line_offset + 1 */
} Context;

/* The value of a scalar event, NULL with a Python error, or NULL without one: not the
 * common case. */
static PyObject *
scalar_value(const Context *context, const yaml_event_t *event, int *refused)
{
    const char *s = (const char *)event->data.scalar.value;
    size_t n = event->data.scalar.length;
    int tag = T_STR;
    if (event->data.scalar.plain_implicit &&
        event->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
        tag = resolve_plain(s, n);
        if (tag < 0 || tag == T_MERGE) {
            *refused = 1;
            return NULL;
        }
    }
    else if (event->data.scalar.plain_implicit) {
        /* an implicit tag on a scalar written in another style: not what libyaml reports */
        *refused = 1;
        return NULL;
    }
    switch (tag) {
    case T_TRUE:
        Py_RETURN_TRUE;
    case T_FALSE:
        Py_RETURN_FALSE;
    case T_NULL:
        Py_RETURN_NONE;
    case T_INT:
        if (plain_decimal(s, n)) {
            long long number = 0;
            for (size_t i = 0; i < n; i++)
                number = number * 10 + (s[i] - '0');
            return PyLong_FromLongLong(number);
        }
        /* fall through */
    case T_FLOAT: {
        PyObject *text = PyUnicode_DecodeUTF8(s, (Py_ssize_t)n, "strict");
        if (text == NULL)
            return NULL;
        PyObject *value =
            PyObject_CallOneArg(tag == T_INT ? context->int_of : context->float_of, text);
        Py_DECREF(text);
        return value;
    }
    default: {
        if (n <= 32) /* at most 32 characters: interned */
            return interned_text(s, n);
        PyObject *text = PyUnicode_DecodeUTF8(s, (Py_ssize_t)n, "strict");
        if (text != NULL && PyUnicode_GET_LENGTH(text) <= 32)
            PyUnicode_InternInPlace(&text);
        return text;
    }
    }
}

/* A mapping key's text as the Python walk has it in the dict: "null" for an empty or `~`
 * plain key, else the scalar's text; *refused for a merge key. */
static PyObject *
key_text(const yaml_event_t *event, int *refused)
{
    const char *s = (const char *)event->data.scalar.value;
    size_t n = event->data.scalar.length;
    if (event->data.scalar.plain_implicit &&
        event->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
        int tag = resolve_plain(s, n);
        if (tag < 0 || tag == T_MERGE) {
            *refused = 1;
            return NULL;
        }
        if (tag == T_NULL && (n == 0 || (n == 1 && s[0] == '~'))) {
            s = "null";
            n = 4;
        }
    }
    else if (event->data.scalar.plain_implicit) {
        *refused = 1;
        return NULL;
    }
    return interned_text(s, n);
}

/* The records as the Python walk packs them: array("H") when every number fits in 16 bits,
 * else array("i"). */
static PyObject *
records_array(const Records *records)
{
    Py_ssize_t size = records->size;
    long largest = 0;
    for (Py_ssize_t i = 0; i < size; i++)
        if (records->data[i] > largest)
            largest = records->data[i];
    int narrow = largest <= 0xFFFF;
    Py_ssize_t width = narrow ? 2 : (Py_ssize_t)sizeof(int);
    if (!narrow && largest > INT_MAX) {
        return Py_NewRef(Py_None); /* the Python path decides (it cannot pack it either) */
    }
    PyObject *bytes = PyBytes_FromStringAndSize(NULL, size * width);
    if (bytes == NULL)
        return NULL;
    char *out = PyBytes_AS_STRING(bytes);
    if (narrow) {
        uint16_t *numbers = (uint16_t *)out;
        for (Py_ssize_t i = 0; i < size; i++)
            numbers[i] = (uint16_t)records->data[i];
    }
    else {
        int *numbers = (int *)out;
        for (Py_ssize_t i = 0; i < size; i++)
            numbers[i] = (int)records->data[i];
    }
    if (array_type == NULL) {
        /* imported here, at the first document loaded, not when the module is: with the
         * collections it imports, ~1 ms of a cached run, which loads no YAML */
        PyObject *array_module = PyImport_ImportModule("array");
        if (array_module != NULL) {
            array_type = PyObject_GetAttrString(array_module, "array");
            Py_DECREF(array_module);
        }
        if (array_type == NULL) {
            Py_DECREF(bytes);
            return NULL;
        }
    }
    PyObject *result = PyObject_CallFunction(array_type, "sO", narrow ? "H" : "i", bytes);
    Py_DECREF(bytes);
    return result;
}

static void
frames_clear(Frame *frames, Py_ssize_t depth)
{
    for (Py_ssize_t i = 0; i < depth; i++)
        Py_CLEAR(frames[i].key);
}

/* Adds a finished value to its parent: a list item, a mapping's value, or the root. */
static int
attach(Frame *parent, PyObject *value, PyObject **root)
{
    if (parent == NULL) {
        *root = Py_NewRef(value);
        return OK;
    }
    parent->items++;
    if (parent->is_map) {
        Py_ssize_t size = PyDict_GET_SIZE(parent->container);
        int done = PyDict_SetItem(parent->container, parent->key, value);
        Py_CLEAR(parent->key);
        if (done < 0)
            return FAIL;
        /* a key the mapping had: a duplicate key (FAIL without an error: not the common
         * case) */
        return PyDict_GET_SIZE(parent->container) == size ? FAIL : OK;
    }
    return PyList_Append(parent->container, value) < 0 ? FAIL : OK;
}

/* The documents of a chunk; returns a new list, Py_None (not the common case) or NULL
 * (a Python error). */
static PyObject *
load(const Context *context, const char *text, Py_ssize_t length)
{
    yaml_parser_t parser;
    yaml_event_t event;
    int have_event = 0;
    Records records = {NULL, 0, 0};
    Frame *frames = NULL;
    Py_ssize_t depth = 0, frames_capacity = 0;
    PyObject *documents = NULL, *root = NULL, *result = NULL;
    int refused = 0, root_empty = 0;
    long long count = 0;
    const long offset = context->offset;

    if (!yaml_parser_initialize(&parser))
        return PyErr_NoMemory();
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, (size_t)length);
    documents = PyList_New(0);
    if (documents == NULL)
        goto done;

    for (;;) {
        if (!yaml_parser_parse(&parser, &event)) {
            refused = 1;
            goto done;
        }
        have_event = 1;
        switch (event.type) {
        case YAML_STREAM_START_EVENT:
        case YAML_NO_EVENT:
            break;
        case YAML_STREAM_END_EVENT:
            result = Py_NewRef(documents);
            goto done;
        case YAML_DOCUMENT_START_EVENT:
            count = 0;
            records.size = 0;
            root_empty = 0;
            Py_CLEAR(root);
            break;
        case YAML_DOCUMENT_END_EVENT: {
            if (root == NULL || depth != 0) {
                refused = 1;
                goto done;
            }
            if (!root_empty) {
                PyObject *table = records_array(&records);
                if (table == NULL)
                    goto done;
                if (table == Py_None) {
                    Py_DECREF(table);
                    refused = 1;
                    goto done;
                }
                PyObject *pair = PyTuple_Pack(2, root, table);
                Py_DECREF(table);
                if (pair == NULL)
                    goto done;
                int appended = PyList_Append(documents, pair);
                Py_DECREF(pair);
                if (appended < 0)
                    goto done;
            }
            Py_CLEAR(root);
            break;
        }
        case YAML_ALIAS_EVENT:
            refused = 1;
            goto done;
        case YAML_SCALAR_EVENT:
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT: {
            Frame *parent = depth ? &frames[depth - 1] : NULL;
            int scalar = event.type == YAML_SCALAR_EVENT;
            const yaml_char_t *anchor, *tag;
            if (scalar) {
                anchor = event.data.scalar.anchor;
                tag = event.data.scalar.tag;
            }
            else if (event.type == YAML_SEQUENCE_START_EVENT) {
                anchor = event.data.sequence_start.anchor;
                tag = event.data.sequence_start.tag;
            }
            else {
                anchor = event.data.mapping_start.anchor;
                tag = event.data.mapping_start.tag;
            }
            if (anchor != NULL || tag != NULL || (parent == NULL && root != NULL)) {
                refused = 1;
                goto done;
            }
            if (++count > context->max_nodes) {
                refused = 1;
                goto done;
            }
            if (parent != NULL && parent->is_map && parent->key == NULL) {
                /* a key: a scalar, not yet in the mapping */
                if (!scalar) {
                    refused = 1;
                    goto done;
                }
                PyObject *key = key_text(&event, &refused);
                if (key == NULL)
                    goto done;
                /* a duplicate is found when its value is set (attach) */
                parent->key = key;
                parent->kl = (long)event.start_mark.line + offset;
                parent->kc = (long)event.start_mark.column + 1;
                parent->kel = (long)event.end_mark.line + offset;
                parent->kec = (long)event.end_mark.column + 1;
                break;
            }
            if (depth > context->max_depth || (!scalar && depth >= MAX_NESTING)) {
                refused = 1;
                goto done;
            }
            if (records_reserve(&records, RECORD) < 0)
                goto done;
            Py_ssize_t position = records.size;
            long *record = records.data + position;
            long line = (long)event.start_mark.line + offset;
            long column = (long)event.start_mark.column + 1;
            record[0] = line;
            record[1] = column;
            record[2] = (long)event.end_mark.line + offset;
            record[3] = (long)event.end_mark.column + 1;
            if (parent != NULL && parent->is_map) {
                record[4] = parent->kl;
                record[5] = parent->kc;
                record[6] = parent->kel;
                record[7] = parent->kec;
            }
            else {
                record[4] = record[5] = record[6] = record[7] = 0;
            }
            record[8] = 1;
            records.size += RECORD;
            if (parent != NULL)
                parent->last = position;
            if (scalar) {
                PyObject *value = scalar_value(context, &event, &refused);
                if (value == NULL)
                    goto done;
                if (parent == NULL && value == Py_None &&
                    event.data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
                    (event.data.scalar.length == 0 ||
                     (event.data.scalar.length == 1 && event.data.scalar.value[0] == '~')))
                    root_empty = 1; /* an empty document: no document at all */
                int attached = attach(parent, value, &root);
                Py_DECREF(value);
                if (attached < 0)
                    goto done;
                break;
            }
            int is_map = event.type == YAML_MAPPING_START_EVENT;
            PyObject *container = is_map ? PyDict_New() : PyList_New(0);
            if (container == NULL)
                goto done;
            int attached = attach(parent, container, &root);
            Py_DECREF(container); /* its parent (or root) holds it */
            if (attached < 0)
                goto done;
            if (depth == frames_capacity) {
                Py_ssize_t capacity = frames_capacity ? frames_capacity * 2 : 32;
                Frame *grown = PyMem_Realloc(frames, (size_t)capacity * sizeof(Frame));
                if (grown == NULL) {
                    PyErr_NoMemory();
                    goto done;
                }
                frames = grown;
                frames_capacity = capacity;
            }
            Frame *frame = &frames[depth++];
            frame->container = container;
            frame->is_map = is_map;
            frame->flow = is_map ? event.data.mapping_start.style == YAML_FLOW_MAPPING_STYLE
                                 : event.data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE;
            frame->position = position;
            frame->last = -1;
            frame->items = 0;
            frame->line = line;
            frame->column = column;
            frame->key = NULL;
            break;
        }
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT: {
            if (depth == 0) {
                refused = 1;
                goto done;
            }
            Frame *frame = &frames[depth - 1];
            if (frame->key != NULL) { /* a key without a value: not from libyaml */
                refused = 1;
                goto done;
            }
            long *record = records.data + frame->position;
            record[8] = (long)((records.size - frame->position) / RECORD);
            long end_line = (long)event.end_mark.line + offset;
            long end_column = (long)event.end_mark.column + 1;
            if (!frame->flow && frame->items > 0 && frame->last >= 0) {
                /* a block collection ends where its last item does (see build) */
                const long *last = records.data + frame->last;
                long item_line = last[0], item_column = last[1];
                long kl = last[4], kc = last[5];
                long mark_line = end_line, mark_column = event.end_mark.column;
                end_line = last[2];
                end_column = last[3];
                if (kl) {
                    if ((item_line == end_line && item_column == end_column) || item_line < kl ||
                        (item_line == kl && item_column < kc)) {
                        end_line = last[6];
                        end_column = last[7];
                    }
                }
                else if (item_line < frame->line ||
                         (item_line == frame->line && item_column < frame->column)) {
                    end_line = mark_line;
                    end_column = mark_column == 0 ? 1 : mark_column + 1;
                }
            }
            record[2] = end_line;
            record[3] = end_column;
            depth--;
            break;
        }
        default:
            refused = 1;
            goto done;
        }
        yaml_event_delete(&event);
        have_event = 0;
    }

done:
    if (have_event)
        yaml_event_delete(&event);
    yaml_parser_delete(&parser);
    frames_clear(frames, depth);
    PyMem_Free(frames);
    PyMem_Free(records.data);
    Py_XDECREF(root);
    Py_XDECREF(documents);
    if (result != NULL)
        return result;
    if (PyErr_Occurred()) {
        if (!PyErr_ExceptionMatches(PyExc_Exception))
            return NULL;
        PyErr_Clear();
    }
    (void)refused;
    Py_RETURN_NONE;
}

static PyObject *
load_chunk(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 6) {
        PyErr_SetString(PyExc_TypeError,
                        "load_chunk(chunk, line_offset, max_nodes, max_depth, int_of, float_of)");
        return NULL;
    }
    PyObject *chunk = args[0];
    if (!PyUnicode_Check(chunk)) {
        PyErr_SetString(PyExc_TypeError, "chunk must be str");
        return NULL;
    }
    long line_offset = PyLong_AsLong(args[1]);
    long long max_nodes = PyLong_AsLongLong(args[2]);
    long long max_depth = PyLong_AsLongLong(args[3]);
    if (PyErr_Occurred())
        return NULL;
    if (line_offset < 0 || line_offset > (long)INT_MAX || max_nodes < 0 || max_depth < 0) {
        PyErr_SetString(PyExc_ValueError, "negative or too large bound");
        return NULL;
    }
    if (!PyCallable_Check(args[4]) || !PyCallable_Check(args[5])) {
        PyErr_SetString(PyExc_TypeError, "int_of and float_of must be callable");
        return NULL;
    }
    Context context = {args[4], args[5], max_nodes, max_depth, line_offset + 1};
    PyObject *encoded = NULL;
    const char *text;
    Py_ssize_t length;
    if (PyUnicode_IS_ASCII(chunk)) {
        /* ASCII text is its own UTF-8: no copy */
        text = (const char *)PyUnicode_DATA(chunk);
        length = PyUnicode_GET_LENGTH(chunk);
    }
    else {
        /* a new bytes object, not the str's cached UTF-8 (which would live as long as it) */
        encoded = PyUnicode_AsUTF8String(chunk);
        if (encoded == NULL) {
            if (!PyErr_ExceptionMatches(PyExc_Exception))
                return NULL;
            PyErr_Clear(); /* a lone surrogate: the Python path reports it */
            Py_RETURN_NONE;
        }
        text = PyBytes_AS_STRING(encoded);
        length = PyBytes_GET_SIZE(encoded);
    }
    Py_INCREF(chunk); /* the text stays alive while libyaml reads it */
    PyObject *result = load(&context, text, length);
    Py_DECREF(chunk);
    Py_XDECREF(encoded);
    return result;
}

/* kpolicy.yamltext.document_chunks of a text of one-byte characters, as an iterator of
 * (line_offset, chunk): the chunks between "---" lines, each with the number of line feeds
 * before it, found with memchr over the line feeds (the chunks' "---" lines are after one),
 * no count of each chunk. An iterator, as the generator is, not a list: a file of millions of
 * "---" lines holds one chunk at a time, not a string and a tuple for each (600 MiB for
 * 16 MiB of them). None for a text of wider characters (the generator reads it). */
typedef struct {
    PyObject_HEAD
    PyObject *text; /* NULL once the last chunk is given */
    Py_ssize_t at, begin, lines, begin_lines;
} ChunkIterator;

static void
chunks_dealloc(ChunkIterator *self)
{
    Py_XDECREF(self->text);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* (begin_lines, text[begin:end]) as a new tuple, NULL with a Python error */
static PyObject *
chunk_pair(PyObject *text, Py_ssize_t begin_lines, Py_ssize_t begin, Py_ssize_t end)
{
    PyObject *chunk = PyUnicode_Substring(text, begin, end);
    return chunk == NULL ? NULL : Py_BuildValue("(nN)", begin_lines, chunk);
}

static PyObject *
chunks_next(ChunkIterator *self)
{
    PyObject *text = self->text;
    if (text == NULL)
        return NULL;
    const char *data = (const char *)PyUnicode_DATA(text);
    Py_ssize_t size = PyUnicode_GET_LENGTH(text);
    while (self->at < size) {
        const char *feed = memchr(data + self->at, '\n', (size_t)(size - self->at));
        if (feed == NULL)
            break;
        self->lines++;
        Py_ssize_t next = feed - data + 1; /* after the line feed */
        self->at = next;
        if (size - next >= 3 && data[next] == '-' && data[next + 1] == '-' &&
            data[next + 2] == '-' &&
            (next + 3 == size || data[next + 3] == ' ' || data[next + 3] == '\t' ||
             data[next + 3] == '\r' || data[next + 3] == '\n')) {
            PyObject *pair = chunk_pair(text, self->begin_lines, self->begin, next);
            self->begin = next;
            self->begin_lines = self->lines;
            return pair;
        }
    }
    /* the last chunk */
    PyObject *pair = chunk_pair(text, self->begin_lines, self->begin, size);
    self->text = NULL;
    Py_DECREF(text);
    return pair;
}

static PyTypeObject ChunkIteratorType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "kpolicy._cload.ChunkIterator",
    .tp_basicsize = sizeof(ChunkIterator),
    .tp_dealloc = (destructor)chunks_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "The chunks of document_chunks, one at a time.",
    .tp_iter = PyObject_SelfIter,
    .tp_iternext = (iternextfunc)chunks_next,
};

static PyObject *
document_chunks(PyObject *module, PyObject *text)
{
    (void)module;
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "text must be str");
        return NULL;
    }
    if (PyUnicode_KIND(text) != PyUnicode_1BYTE_KIND)
        Py_RETURN_NONE;
    ChunkIterator *chunks = PyObject_New(ChunkIterator, &ChunkIteratorType);
    if (chunks == NULL)
        return NULL;
    chunks->text = Py_NewRef(text);
    chunks->at = chunks->begin = chunks->lines = chunks->begin_lines = 0;
    return (PyObject *)chunks;
}

/* kpolicy.load._node_bound without encoding the chunk: twice the number of the characters a
 * node may start after (: - ? , [ ] { } ! & * and the line feed), plus two, plus two. */
static PyObject *
node_bound(PyObject *module, PyObject *chunk)
{
    (void)module;
    if (!PyUnicode_Check(chunk)) {
        PyErr_SetString(PyExc_TypeError, "chunk must be str");
        return NULL;
    }
    static unsigned char starts[256];
    if (!starts[':']) {
        const char *indicators = ":-?,[]{}!&*\n";
        for (const char *c = indicators; *c; c++)
            starts[(unsigned char)*c] = 1;
    }
    int kind = PyUnicode_KIND(chunk);
    const void *data = PyUnicode_DATA(chunk);
    Py_ssize_t size = PyUnicode_GET_LENGTH(chunk), count = 0;
    if (kind == PyUnicode_1BYTE_KIND) {
        const unsigned char *bytes = (const unsigned char *)data;
        for (Py_ssize_t i = 0; i < size; i++)
            count += starts[bytes[i]];
    }
    else {
        for (Py_ssize_t i = 0; i < size; i++) {
            Py_UCS4 c = PyUnicode_READ(kind, data, i);
            count += c < 128 ? starts[c] : 0;
        }
    }
    return PyLong_FromSsize_t(2 * (count + 2));
}

/* A position table's width: 0 for an array of "H", 1 for one of "i" (as the loaders make
   them), -1 for anything else. */
static int
table_width(const Py_buffer *view)
{
    if (view->format != NULL && strcmp(view->format, "H") == 0 && view->itemsize == 2)
        return 0;
    if (view->format != NULL && strcmp(view->format, "i") == 0 && view->itemsize == 4)
        return 1;
    return -1;
}

/* The subtree sizes of a table's records: read as numbers from an array of "H" or "i", else
   item by item from whatever sequence they are. */
typedef struct {
    PyObject *sequence;
    Py_buffer view;
    int viewed;
    int wide;
    Py_ssize_t count;
} Sizes;

static int
sizes_open(Sizes *sizes, PyObject *sequence)
{
    sizes->sequence = sequence;
    sizes->viewed = sizes->wide = 0;
    sizes->count = 0;
    if (!PyObject_CheckBuffer(sequence))
        return 0;
    if (PyObject_GetBuffer(sequence, &sizes->view, PyBUF_FORMAT | PyBUF_C_CONTIGUOUS) < 0)
        return -1;
    int width = table_width(&sizes->view);
    if (width < 0) {
        PyBuffer_Release(&sizes->view);
        return 0;
    }
    sizes->viewed = 1;
    sizes->wide = width;
    sizes->count = sizes->view.len / sizes->view.itemsize;
    return 0;
}

/* The size at ``index``; -1 with an exception set where there is none. */
static Py_ssize_t
sizes_at(const Sizes *sizes, Py_ssize_t index)
{
    if (sizes->viewed) {
        if (index >= sizes->count) {
            PyErr_SetString(PyExc_IndexError, "array index out of range");
            return -1;
        }
        return sizes->wide ? ((int *)sizes->view.buf)[index]
                           : ((unsigned short *)sizes->view.buf)[index];
    }
    PyObject *got = PySequence_GetItem(sizes->sequence, index);
    if (got == NULL)
        return -1;
    Py_ssize_t size = PyLong_AsSsize_t(got);
    Py_DECREF(got);
    return size;
}

static void
sizes_close(Sizes *sizes)
{
    if (sizes->viewed) {
        PyBuffer_Release(&sizes->view);
        sizes->viewed = 0;
    }
}

/* present_of(instance, subs, sub_of, shallow, sizes, child) -> (present, unknown): the
 * properties loop of kpolicy.schema.lite's object node (lite._present_of, which it stands in
 * for, the same result and the same calls of sub_of in the same order): for each key of the
 * dict instance, in its order, its property (subs[key], else sub_of(key), which makes it: a
 * (place, explainer, leaf classes) tuple, or None for a key that is not a property); a key that
 * is none sets unknown; a property's (place, explainer, key, record, value) is listed unless
 * shallow and the value's class is one of its leaf classes. The record of the first key is
 * child (-1: not known, and so is every key's), each next one after the previous one's subtree
 * (sizes[record] records). The list is sorted (by place). */
static PyObject *
present_walk(PyObject *const *args, Py_ssize_t nargs)
{
    PyObject *instance = args[0], *subs = args[1], *sub_of = args[2], *sizes = args[4];
    if (!PyDict_CheckExact(instance) || !PyDict_CheckExact(subs)) {
        PyErr_SetString(PyExc_TypeError, "present_of takes a dict and a dict");
        return NULL;
    }
    int shallow = PyObject_IsTrue(args[3]);
    if (shallow < 0)
        return NULL;
    Py_ssize_t child = PyLong_AsSsize_t(args[5]);
    if (child == -1 && PyErr_Occurred())
        return NULL;
    Sizes subtree;
    if (child >= 0 && sizes_open(&subtree, sizes) < 0)
        return NULL;
    int viewed = child >= 0;
    PyObject *present = PyList_New(0);
    if (present == NULL)
        goto failed;
    int unknown = 0;
    Py_ssize_t position = 0;
    PyObject *name, *item;
    while (PyDict_Next(instance, &position, &name, &item)) {
        Py_INCREF(name);
        Py_INCREF(item);
        PyObject *found = PyDict_GetItemWithError(subs, name);
        if (found != NULL)
            Py_INCREF(found);
        else if (PyErr_Occurred())
            goto failed_item;
        int truth = found == NULL ? 0 : PyObject_IsTrue(found);
        if (truth < 0) {
            Py_DECREF(found);
            goto failed_item;
        }
        if (!truth) {
            Py_XDECREF(found);
            found = PyObject_CallOneArg(sub_of, name);
            if (found == NULL)
                goto failed_item;
        }
        if (found == Py_None)
            unknown = 1;
        else {
            if (!PyTuple_Check(found) || PyTuple_GET_SIZE(found) < 3) {
                PyErr_SetString(PyExc_TypeError, "a property is a (place, explainer, leaf) tuple");
                Py_DECREF(found);
                goto failed_item;
            }
            int listed = 1;
            if (shallow) {
                /* (item.__class__: its type for the classes the loader makes) */
                PyObject *cls;
                if (PyUnicode_CheckExact(item) || PyLong_CheckExact(item) ||
                    PyDict_CheckExact(item) || PyList_CheckExact(item) || PyBool_Check(item) ||
                    PyFloat_CheckExact(item) || item == Py_None)
                    cls = Py_NewRef((PyObject *)Py_TYPE(item));
                else if ((cls = PyObject_GetAttrString(item, "__class__")) == NULL) {
                    Py_DECREF(found);
                    goto failed_item;
                }
                int leaf = PySequence_Contains(PyTuple_GET_ITEM(found, 2), cls);
                Py_DECREF(cls);
                if (leaf < 0) {
                    Py_DECREF(found);
                    goto failed_item;
                }
                listed = !leaf;
            }
            if (listed) {
                PyObject *record = PyLong_FromSsize_t(child >= 0 ? child : -1);
                PyObject *entry = record == NULL ? NULL : PyTuple_New(5);
                if (entry == NULL) {
                    Py_XDECREF(record);
                    Py_DECREF(found);
                    goto failed_item;
                }
                PyObject *place = PyTuple_GET_ITEM(found, 0), *sub = PyTuple_GET_ITEM(found, 1);
                Py_INCREF(place);
                Py_INCREF(sub);
                Py_INCREF(name);
                Py_INCREF(item);
                PyTuple_SET_ITEM(entry, 0, place);
                PyTuple_SET_ITEM(entry, 1, sub);
                PyTuple_SET_ITEM(entry, 2, name);
                PyTuple_SET_ITEM(entry, 3, record);
                PyTuple_SET_ITEM(entry, 4, item);
                int appended = PyList_Append(present, entry);
                Py_DECREF(entry);
                if (appended < 0) {
                    Py_DECREF(found);
                    goto failed_item;
                }
            }
        }
        Py_DECREF(found);
        Py_DECREF(name);
        Py_DECREF(item);
        if (child >= 0) {
            /* the next key's record follows this one's subtree */
            Py_ssize_t size = sizes_at(&subtree, child);
            if (size == -1 && PyErr_Occurred())
                goto failed;
            child += size;
        }
    }
    if (viewed)
        sizes_close(&subtree);
    if (PyList_GET_SIZE(present) > 1 && PyList_Sort(present) < 0) {
        Py_DECREF(present);
        return NULL;
    }
    if (nargs == 8) {
        /* explain_present: each present property's explainer called on its value, in the
         * list's order: its node's run (shallow) or checked, with (value, path + (key,),
         * record, out), as lite._explain_present calls them */
        PyObject *path = args[6], *out = args[7];
        static PyObject *run_name = NULL, *checked_name = NULL;
        if (run_name == NULL) {
            run_name = PyUnicode_InternFromString("run");
            checked_name = PyUnicode_InternFromString("checked");
            if (run_name == NULL || checked_name == NULL) {
                Py_DECREF(present);
                return NULL;
            }
        }
        if (!PyTuple_CheckExact(path)) {
            Py_DECREF(present);
            PyErr_SetString(PyExc_TypeError, "present_of: a path is a tuple");
            return NULL;
        }
        Py_ssize_t length = PyTuple_GET_SIZE(path);
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(present); i++) {
            PyObject *entry = PyList_GET_ITEM(present, i);
            PyObject *callee = PyObject_GetAttr(PyTuple_GET_ITEM(entry, 1),
                                                shallow ? run_name : checked_name);
            if (callee == NULL) {
                Py_DECREF(present);
                return NULL;
            }
            PyObject *child_path = PyTuple_New(length + 1);
            if (child_path == NULL) {
                Py_DECREF(callee);
                Py_DECREF(present);
                return NULL;
            }
            for (Py_ssize_t j = 0; j < length; j++)
                PyTuple_SET_ITEM(child_path, j, Py_NewRef(PyTuple_GET_ITEM(path, j)));
            PyTuple_SET_ITEM(child_path, length, Py_NewRef(PyTuple_GET_ITEM(entry, 2)));
            PyObject *call_args[4] = {PyTuple_GET_ITEM(entry, 4), child_path,
                                      PyTuple_GET_ITEM(entry, 3), out};
            PyObject *done = PyObject_Vectorcall(callee, call_args, 4, NULL);
            Py_DECREF(child_path);
            Py_DECREF(callee);
            if (done == NULL) {
                Py_DECREF(present);
                return NULL;
            }
            Py_DECREF(done);
        }
        Py_DECREF(present);
        return Py_NewRef(unknown ? Py_True : Py_False);
    }
    PyObject *result = PyTuple_New(2);
    if (result == NULL) {
        Py_DECREF(present);
        return NULL;
    }
    PyTuple_SET_ITEM(result, 0, present);
    PyTuple_SET_ITEM(result, 1, Py_NewRef(unknown ? Py_True : Py_False));
    return result;

failed_item:
    Py_DECREF(name);
    Py_DECREF(item);
failed:
    if (viewed)
        sizes_close(&subtree);
    Py_XDECREF(present);
    return NULL;
}

static PyObject *
present_of(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 6) {
        PyErr_SetString(PyExc_TypeError, "present_of takes 6 arguments");
        return NULL;
    }
    return present_walk(args, nargs);
}

/* explain_present(instance, subs, sub_of, shallow, sizes, child, path, out) -> unknown: the
 * properties of present_of explained (lite._explain_present, which it stands in for) */
static PyObject *
explain_present(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 8) {
        PyErr_SetString(PyExc_TypeError, "explain_present takes 8 arguments");
        return NULL;
    }
    return present_walk(args, nargs);
}

/* closed_node(data, instance, path, record, out): kpolicy.schema.lite._closed_node's step (a
 * node of properties, required and additionalProperties false, in that order), made there as
 * partial(closed_node, data) where the extension is built: the same calls in the same order,
 * the same errors. data is (steps, max_depth, subs, sub_of, required, allowed, schema, the
 * globals of kpolicy.schema.lite); a value that is not a dict goes through each of steps; a
 * dict's properties are explained by the module's explain_present, then each name of required
 * it lacks is a "required" error and, when a key is not allowed (explain_present's unknown,
 * or, that None, its keys not all allowed), an "additionalProperties" one, each the module's
 * LiteError(validator, value, instance, schema, path, None, record) appended to out (both
 * found in the module when used, as the Python step finds them). */
static PyObject *closed_names[6]; /* "required", "additionalProperties", "irregular", "sizes",
                                     "explain_present", "LiteError" */

/* the module's global name (a new reference), or NULL with NameError */
static PyObject *
closed_global(PyObject *globals, PyObject *name)
{
    PyObject *found = PyDict_GetItemWithError(globals, name);
    if (found == NULL) {
        if (!PyErr_Occurred())
            PyErr_Format(PyExc_NameError, "name '%U' is not defined", name);
        return NULL;
    }
    return Py_NewRef(found);
}

static int
closed_error(PyObject *out, PyObject *globals, PyObject *validator, PyObject *value,
             PyObject *instance, PyObject *schema, PyObject *path, PyObject *record)
{
    PyObject *make = closed_global(globals, closed_names[5]);
    if (make == NULL)
        return -1;
    PyObject *call[7] = {validator, value, instance, schema, path, Py_None, record};
    PyObject *error = PyObject_Vectorcall(make, call, 7, NULL);
    Py_DECREF(make);
    if (error == NULL)
        return -1;
    static PyObject *append = NULL;
    if (append == NULL && (append = PyUnicode_InternFromString("append")) == NULL) {
        Py_DECREF(error);
        return -1;
    }
    PyObject *done = PyObject_CallMethodOneArg(out, append, error);
    Py_DECREF(error);
    if (done == NULL)
        return -1;
    Py_DECREF(done);
    return 0;
}

/* closed_names made (the steps below that make errors use them too) */
static int
closed_names_ready(void)
{
    if (closed_names[5] == NULL) {
        static const char *names[6] = {"required",  "additionalProperties", "irregular",
                                       "sizes",     "explain_present",      "LiteError"};
        for (int i = 0; i < 6; i++) {
            if (closed_names[i] == NULL &&
                (closed_names[i] = PyUnicode_InternFromString(names[i])) == NULL)
                return -1;
        }
    }
    return 0;
}

static PyObject *
closed_node(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 5 || !PyTuple_CheckExact(args[0]) || PyTuple_GET_SIZE(args[0]) != 8) {
        PyErr_SetString(PyExc_TypeError, "closed_node takes its data and 4 arguments");
        return NULL;
    }
    PyObject *data = args[0], *instance = args[1], *path = args[2], *record = args[3];
    PyObject *out = args[4];
    PyObject *steps = PyTuple_GET_ITEM(data, 0), *max_depth = PyTuple_GET_ITEM(data, 1);
    PyObject *subs = PyTuple_GET_ITEM(data, 2), *sub_of = PyTuple_GET_ITEM(data, 3);
    PyObject *required = PyTuple_GET_ITEM(data, 4), *allowed = PyTuple_GET_ITEM(data, 5);
    PyObject *schema = PyTuple_GET_ITEM(data, 6), *globals = PyTuple_GET_ITEM(data, 7);
    if (!PyDict_Check(globals)) {
        PyErr_SetString(PyExc_TypeError, "closed_node: the module's globals");
        return NULL;
    }
    if (closed_names_ready() < 0)
        return NULL;
    if (!PyDict_CheckExact(instance)) {
        /* (for step in steps: step(instance, path, record, out)) */
        PyObject *each = PyObject_GetIter(steps);
        if (each == NULL)
            return NULL;
        PyObject *step;
        while ((step = PyIter_Next(each)) != NULL) {
            PyObject *call[4] = {instance, path, record, out};
            PyObject *done = PyObject_Vectorcall(step, call, 4, NULL);
            Py_DECREF(step);
            if (done == NULL) {
                Py_DECREF(each);
                return NULL;
            }
            Py_DECREF(done);
        }
        Py_DECREF(each);
        if (PyErr_Occurred())
            return NULL;
        Py_RETURN_NONE;
    }
    Py_INCREF(instance); /* (held while calls run) */
    PyObject *unknown = NULL, *irregular = NULL, *sizes = NULL, *child = NULL;
    PyObject *shallow = NULL, *result = NULL;
    /* shallow = len(path) < max_depth */
    Py_ssize_t depth = PyObject_Length(path);
    if (depth < 0)
        goto done;
    PyObject *length = PyLong_FromSsize_t(depth);
    if (length == NULL)
        goto done;
    shallow = PyObject_RichCompare(length, max_depth, Py_LT);
    Py_DECREF(length);
    if (shallow == NULL)
        goto done;
    irregular = PyObject_GetAttr(out, closed_names[2]);
    if (irregular == NULL)
        goto done;
    /* record < 0 or (irregular is not None and record in irregular) */
    PyObject *zero = PyLong_FromLong(0);
    if (zero == NULL)
        goto done;
    int outside = PyObject_RichCompareBool(record, zero, Py_LT);
    Py_DECREF(zero);
    if (outside < 0)
        goto done;
    if (!outside && irregular != Py_None) {
        outside = PySequence_Contains(irregular, record);
        if (outside < 0)
            goto done;
    }
    if (outside) {
        sizes = Py_NewRef(Py_None);
        child = PyLong_FromLong(-1);
    }
    else {
        sizes = PyObject_GetAttr(out, closed_names[3]);
        if (sizes == NULL)
            goto done;
        PyObject *one = PyLong_FromLong(1);
        if (one == NULL)
            goto done;
        child = PyNumber_Add(record, one);
        Py_DECREF(one);
    }
    if (child == NULL)
        goto done;
    PyObject *explain = closed_global(globals, closed_names[4]);
    if (explain == NULL)
        goto done;
    PyObject *walked[8] = {instance, subs, sub_of, shallow, sizes, child, path, out};
    unknown = PyObject_Vectorcall(explain, walked, 8, NULL);
    Py_DECREF(explain);
    if (unknown == NULL)
        goto done;
    /* for name in required: if name not in instance: an error */
    PyObject *names = PyObject_GetIter(required);
    if (names == NULL)
        goto done;
    PyObject *name;
    while ((name = PyIter_Next(names)) != NULL) {
        int present = PySequence_Contains(instance, name);
        Py_DECREF(name);
        if (present < 0 ||
            (!present && closed_error(out, globals, closed_names[0], required, instance,
                                      schema, path, record) < 0)) {
            Py_DECREF(names);
            goto done;
        }
    }
    Py_DECREF(names);
    if (PyErr_Occurred())
        goto done;
    /* unknown if unknown is not None else not instance.keys() <= allowed */
    int extra;
    if (unknown != Py_None) {
        extra = PyObject_IsTrue(unknown);
    }
    else {
        PyObject *keys = PyObject_CallMethod(instance, "keys", NULL);
        if (keys == NULL)
            goto done;
        int within = PyObject_RichCompareBool(keys, allowed, Py_LE);
        Py_DECREF(keys);
        extra = within < 0 ? -1 : !within;
    }
    if (extra < 0)
        goto done;
    if (extra && closed_error(out, globals, closed_names[1], Py_False, instance, schema, path,
                              record) < 0)
        goto done;
    result = Py_NewRef(Py_None);
done:
    Py_DECREF(instance);
    Py_XDECREF(unknown);
    Py_XDECREF(irregular);
    Py_XDECREF(sizes);
    Py_XDECREF(child);
    Py_XDECREF(shallow);
    return result;
}

/* (for step in steps: step(instance, path, record, out)), as the Python steps run them */
static PyObject *
run_each_step(PyObject *steps, PyObject *instance, PyObject *path, PyObject *record,
              PyObject *out)
{
    PyObject *each = PyObject_GetIter(steps);
    if (each == NULL)
        return NULL;
    PyObject *step;
    while ((step = PyIter_Next(each)) != NULL) {
        PyObject *call[4] = {instance, path, record, out};
        PyObject *done = PyObject_Vectorcall(step, call, 4, NULL);
        Py_DECREF(step);
        if (done == NULL) {
            Py_DECREF(each);
            return NULL;
        }
        Py_DECREF(done);
    }
    Py_DECREF(each);
    if (PyErr_Occurred())
        return NULL;
    Py_RETURN_NONE;
}

/* typed_one(data, instance, path, record, out): kpolicy.schema.lite._typed_steps's step of a
 * node of a type and one other keyword (typed_one), made there as partial(typed_one, data)
 * where the extension is built: a value of one of the type's exact classes goes through the
 * other keyword's step only, any other through every step, in their order. data is (classes,
 * only, steps). */
static PyObject *
typed_one(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 5 || !PyTuple_CheckExact(args[0]) || PyTuple_GET_SIZE(args[0]) != 3 ||
        !PyAnySet_Check(PyTuple_GET_ITEM(args[0], 0))) {
        PyErr_SetString(PyExc_TypeError, "typed_one takes its data and 4 arguments");
        return NULL;
    }
    PyObject *data = args[0];
    /* (a class's hash and equality are its identity's: no code of the value runs) */
    int exact = PySet_Contains(PyTuple_GET_ITEM(data, 0), (PyObject *)Py_TYPE(args[1]));
    if (exact < 0)
        return NULL;
    if (exact)
        return PyObject_Vectorcall(PyTuple_GET_ITEM(data, 1), args + 1, 4, NULL);
    return run_each_step(PyTuple_GET_ITEM(data, 2), args[1], args[2], args[3], args[4]);
}

/* string_enum(data, instance, path, record, out): kpolicy.schema.lite._typed_leaf's step of
 * a node of a string type and an enum (string_enum), made there as partial(string_enum, data)
 * where the extension is built: a str not among the enum's strings is an "enum" error (the
 * module's LiteError("enum", allowed, instance, schema, path, None, record), appended to
 * out), one among them none; any other value goes through every step, in their order. data
 * is (strings, allowed, schema, steps, the globals of kpolicy.schema.lite). */
static PyObject *enum_name = NULL;

static PyObject *
string_enum(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 5 || !PyTuple_CheckExact(args[0]) || PyTuple_GET_SIZE(args[0]) != 5 ||
        !PyAnySet_Check(PyTuple_GET_ITEM(args[0], 0)) ||
        !PyDict_Check(PyTuple_GET_ITEM(args[0], 4))) {
        PyErr_SetString(PyExc_TypeError, "string_enum takes its data and 4 arguments");
        return NULL;
    }
    PyObject *data = args[0], *instance = args[1];
    if (!PyUnicode_CheckExact(instance))
        return run_each_step(PyTuple_GET_ITEM(data, 3), instance, args[2], args[3], args[4]);
    /* (a str's hash and equality run no code) */
    int allowed = PySet_Contains(PyTuple_GET_ITEM(data, 0), instance);
    if (allowed < 0)
        return NULL;
    if (allowed)
        Py_RETURN_NONE;
    if (enum_name == NULL && (enum_name = PyUnicode_InternFromString("enum")) == NULL)
        return NULL;
    if (closed_names_ready() < 0)
        return NULL;
    if (closed_error(args[4], PyTuple_GET_ITEM(data, 4), enum_name, PyTuple_GET_ITEM(data, 1),
                     instance, PyTuple_GET_ITEM(data, 2), args[2], args[3]) < 0)
        return NULL;
    Py_RETURN_NONE;
}

/* format_step(data, instance, path, record, out): kpolicy.schema.lite._step's step of a
 * format (format_), made there as partial(format_step, data) where the extension is built:
 * a value the format's check answers anything but None for is a "format" error (the module's
 * LiteError("format", name, instance, schema, path, None, record), appended to out). data is
 * (check, name, schema, the globals of kpolicy.schema.lite). */
static PyObject *format_name = NULL;

static PyObject *
format_step(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 5 || !PyTuple_CheckExact(args[0]) || PyTuple_GET_SIZE(args[0]) != 4 ||
        !PyDict_Check(PyTuple_GET_ITEM(args[0], 3))) {
        PyErr_SetString(PyExc_TypeError, "format_step takes its data and 4 arguments");
        return NULL;
    }
    PyObject *data = args[0], *instance = args[1];
    PyObject *result = PyObject_CallOneArg(PyTuple_GET_ITEM(data, 0), instance);
    if (result == NULL)
        return NULL;
    int passes = result == Py_None;
    Py_DECREF(result);
    if (passes)
        Py_RETURN_NONE;
    if (format_name == NULL && (format_name = PyUnicode_InternFromString("format")) == NULL)
        return NULL;
    if (closed_names_ready() < 0)
        return NULL;
    if (closed_error(args[4], PyTuple_GET_ITEM(data, 3), format_name, PyTuple_GET_ITEM(data, 1),
                     instance, PyTuple_GET_ITEM(data, 2), args[2], args[3]) < 0)
        return NULL;
    Py_RETURN_NONE;
}

/* any_type(data, instance, path, record, out): kpolicy.schema.lite's step of a node's type
 * (_step's any_type), made there as partial(any_type, data) where the extension is built, for
 * the two cases of nearly every call: a value of one of the type's exact classes (no error),
 * and a value of a class the loader makes that fails the type and whose problem the step has
 * kept for the problem maker it was made by (out.typed): that problem with the value's path
 * and record, appended to out as the Python step appends it. data is (exact, fails, kept,
 * owner, found_class, general): the type's exact classes, the loader's classes that fail it,
 * the Python step's kept problems and the holder of their maker, the class of out
 * (lite._Found), and the Python step itself, which every other case is handed to with the
 * same arguments (an error, a problem not kept yet, a class of another kind). A float where
 * integers (and not numbers) belong, which is neither exact nor failing, passes when it is
 * integral and fails otherwise, as the Python step's _is_type tells. */
static PyObject *any_type_names[2]; /* "typed", "value" */

static PyObject *
any_type(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 5 || !PyTuple_CheckExact(args[0]) || PyTuple_GET_SIZE(args[0]) != 6) {
        PyErr_SetString(PyExc_TypeError, "any_type takes its data and 4 arguments");
        return NULL;
    }
    PyObject *data = args[0], *instance = args[1], *path = args[2], *record = args[3];
    PyObject *out = args[4];
    PyObject *exact = PyTuple_GET_ITEM(data, 0), *fails = PyTuple_GET_ITEM(data, 1);
    PyObject *kept = PyTuple_GET_ITEM(data, 2), *owner = PyTuple_GET_ITEM(data, 3);
    PyObject *found_class = PyTuple_GET_ITEM(data, 4), *general = PyTuple_GET_ITEM(data, 5);
    if (!PyFrozenSet_CheckExact(exact) || !PyFrozenSet_CheckExact(fails) ||
        !PyDict_CheckExact(kept) || !PyList_CheckExact(owner) || PyList_GET_SIZE(owner) != 1) {
        PyErr_SetString(PyExc_TypeError, "any_type: its data");
        return NULL;
    }
    if (any_type_names[1] == NULL) {
        if ((any_type_names[0] = PyUnicode_InternFromString("typed")) == NULL ||
            (any_type_names[1] = PyUnicode_InternFromString("value")) == NULL)
            return NULL;
    }
    PyObject *cls = (PyObject *)Py_TYPE(instance);
    /* (a class's hash and equality are its identity's: no code of the value runs) */
    int passes = PySet_Contains(exact, cls);
    if (passes < 0)
        return NULL;
    if (passes)
        Py_RETURN_NONE;
    if (instance != Py_None && (PyObject *)Py_TYPE(out) == found_class) {
        int failing = PySet_Contains(fails, cls);
        if (failing < 0)
            return NULL;
        if (!failing && PyFloat_CheckExact(instance)) {
            /* a float that is neither exact nor failing: a node of integers (not numbers),
             * whose _is_type passes an integral float (float.is_integer) and fails any other */
            double number = PyFloat_AS_DOUBLE(instance);
            if (isfinite(number) && floor(number) == number)
                Py_RETURN_NONE;
            failing = 1;
        }
        PyObject *key = NULL; /* as the Python step keys a value's problem */
        if (!failing) {
            /* (neither exact nor failing: the Python step tells) */
        }
        else if (PyUnicode_CheckExact(instance)) {
            if (PyUnicode_GET_LENGTH(instance) <= 64)
                key = Py_NewRef(instance);
        }
        else if (PyLong_CheckExact(instance) || PyBool_Check(instance)) {
            if ((key = PyTuple_Pack(2, cls, instance)) == NULL)
                return NULL;
        }
        else if (PyDict_CheckExact(instance) || PyList_CheckExact(instance)) {
            key = Py_NewRef(cls);
        }
        else if (PyFloat_CheckExact(instance)) {
            PyObject *shown = PyObject_Repr(instance); /* (float's own repr: no code runs) */
            if (shown == NULL)
                return NULL;
            key = PyTuple_Pack(2, cls, shown);
            Py_DECREF(shown);
            if (key == NULL)
                return NULL;
        }
        if (key != NULL) {
            PyObject *typed = PyObject_GetAttr(out, any_type_names[0]);
            if (typed == NULL) {
                Py_DECREF(key);
                return NULL;
            }
            PyObject *found = NULL;
            if (typed != Py_None && PyList_GET_ITEM(owner, 0) == typed) {
                /* (keys of a str, a tuple of a class and an int, a bool or a str, a class:
                 * no code runs) */
                found = PyDict_GetItemWithError(kept, key);
                if (found == NULL && PyErr_Occurred()) {
                    Py_DECREF(typed);
                    Py_DECREF(key);
                    return NULL;
                }
            }
            Py_DECREF(typed);
            Py_DECREF(key);
            if (found != NULL && PyTuple_CheckExact(found) && PyTuple_GET_SIZE(found) == 3) {
                PyObject *problem = PyTuple_Pack(
                    7, PyTuple_GET_ITEM(found, 0), path, any_type_names[1],
                    PyTuple_GET_ITEM(found, 1), Py_None, PyTuple_GET_ITEM(found, 2), record);
                if (problem == NULL)
                    return NULL;
                int appended = PyList_Append(out, problem);
                Py_DECREF(problem);
                if (appended < 0)
                    return NULL;
                Py_RETURN_NONE;
            }
        }
    }
    PyObject *call[4] = {instance, path, record, out};
    return PyObject_Vectorcall(general, call, 4, NULL);
}

/* children_step(data, instance, path, record, out): the usual case of kpolicy.schema.lite's
 * steps of a list's items (items) and of a map's other keys (typed_map), made there as
 * partial(children_step, data) where the extension is built: a value of the step's class
 * exactly (a list, a dict), no deeper than max_depth, has its children explained by the
 * module's explain_children(instance, sub.run, leaf, known, path, sizes, child, out), with
 * the first child's record as the Python step finds it (-1, and no sizes, for a record not
 * known or irregular; else record + 1 and out.sizes). data is (cls, sub, leaf, known,
 * max_depth, general, the globals of kpolicy.schema.lite); any other value is handed to
 * general, the Python step, with the same arguments. */
static PyObject *children_names[4]; /* "irregular", "sizes", "run", "explain_children" */

static PyObject *
children_step(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 5 || !PyTuple_CheckExact(args[0]) || PyTuple_GET_SIZE(args[0]) != 7 ||
        !PyDict_Check(PyTuple_GET_ITEM(args[0], 6))) {
        PyErr_SetString(PyExc_TypeError, "children_step takes its data and 4 arguments");
        return NULL;
    }
    PyObject *data = args[0], *instance = args[1], *path = args[2], *record = args[3];
    PyObject *out = args[4];
    if (children_names[3] == NULL) {
        static const char *names[4] = {"irregular", "sizes", "run", "explain_children"};
        for (int i = 0; i < 4; i++) {
            if (children_names[i] == NULL &&
                (children_names[i] = PyUnicode_InternFromString(names[i])) == NULL)
                return NULL;
        }
    }
    PyObject *general = PyTuple_GET_ITEM(data, 5);
    int usual = (PyObject *)Py_TYPE(instance) == PyTuple_GET_ITEM(data, 0) &&
                PyTuple_CheckExact(path) && PyLong_CheckExact(record);
    if (usual) {
        Py_ssize_t max_depth = PyLong_AsSsize_t(PyTuple_GET_ITEM(data, 4));
        if (max_depth == -1 && PyErr_Occurred())
            return NULL;
        usual = PyTuple_GET_SIZE(path) < max_depth;
    }
    if (!usual)
        return PyObject_Vectorcall(general, args + 1, 4, NULL);
    Py_INCREF(instance); /* (held while calls run) */
    PyObject *irregular = NULL, *sizes = NULL, *child = NULL, *run = NULL, *result = NULL;
    irregular = PyObject_GetAttr(out, children_names[0]);
    if (irregular == NULL)
        goto done;
    /* record < 0 or (irregular is not None and record in irregular) */
    Py_ssize_t at = PyLong_AsSsize_t(record);
    if (at == -1 && PyErr_Occurred())
        goto done;
    int outside = at < 0;
    if (!outside && irregular != Py_None) {
        outside = PySequence_Contains(irregular, record);
        if (outside < 0)
            goto done;
    }
    if (outside) {
        sizes = Py_NewRef(Py_None);
        child = PyLong_FromLong(-1);
    }
    else {
        sizes = PyObject_GetAttr(out, children_names[1]);
        if (sizes == NULL)
            goto done;
        child = PyLong_FromSsize_t(at + 1);
    }
    if (child == NULL)
        goto done;
    run = PyObject_GetAttr(PyTuple_GET_ITEM(data, 1), children_names[2]);
    if (run == NULL)
        goto done;
    PyObject *explain = closed_global(PyTuple_GET_ITEM(data, 6), children_names[3]);
    if (explain == NULL)
        goto done;
    PyObject *call[8] = {instance, run, PyTuple_GET_ITEM(data, 2), PyTuple_GET_ITEM(data, 3),
                         path, sizes, child, out};
    result = PyObject_Vectorcall(explain, call, 8, NULL);
    Py_DECREF(explain);
done:
    Py_DECREF(instance);
    Py_XDECREF(irregular);
    Py_XDECREF(sizes);
    Py_XDECREF(child);
    Py_XDECREF(run);
    return result;
}

/* fast_object(data, value) and fast_array(data, value): kpolicy.schema.fast's checks of an
 * object node (_fast_object) and of an array node (_fast_array), made there as
 * partial(function, data) where the extension is built: the same answer (True or False), the
 * same calls of the children's checks in the same order, the same exceptions. data is
 * (required, properties, children, nullable, scalar_classes) for an object node: the names it
 * requires, its properties' checks by name, [the check of additionalProperties, of items]
 * (each None, or installed when first reached), whether null passes, and fast's
 * _SCALAR_CLASSES (a check of scalar types only → the exact classes it passes without a
 * call); (children, nullable, scalar_classes) for an array node. */

/* whether item passes sub: without a call when sub is a check of scalar types that passes the
 * item's class exactly; -1 on an error */
static int
fast_passes(PyObject *sub, PyObject *item, PyObject *scalar_classes)
{
    PyObject *exact = PyDict_GetItemWithError(scalar_classes, sub); /* (by identity) */
    if (exact != NULL) {
        int found = PySet_Contains(exact, (PyObject *)Py_TYPE(item));
        if (found != 0)
            return found;
    }
    else if (PyErr_Occurred())
        return -1;
    PyObject *answer = PyObject_CallOneArg(sub, item);
    if (answer == NULL)
        return -1;
    int passes = PyObject_IsTrue(answer);
    Py_DECREF(answer);
    return passes;
}

/* (nullable and value is None) */
static PyObject *
fast_null(PyObject *nullable, PyObject *value)
{
    int allows = PyObject_IsTrue(nullable);
    if (allows < 0)
        return NULL;
    return Py_NewRef(allows && value == Py_None ? Py_True : Py_False);
}

static PyObject *
fast_object(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 2 || !PyTuple_CheckExact(args[0]) || PyTuple_GET_SIZE(args[0]) != 5 ||
        !PyTuple_CheckExact(PyTuple_GET_ITEM(args[0], 0)) ||
        !PyDict_CheckExact(PyTuple_GET_ITEM(args[0], 1)) ||
        !PyList_CheckExact(PyTuple_GET_ITEM(args[0], 2)) ||
        PyList_GET_SIZE(PyTuple_GET_ITEM(args[0], 2)) != 2 ||
        !PyDict_CheckExact(PyTuple_GET_ITEM(args[0], 4))) {
        PyErr_SetString(PyExc_TypeError, "fast_object takes its data and a value");
        return NULL;
    }
    PyObject *data = args[0], *value = args[1];
    PyObject *required = PyTuple_GET_ITEM(data, 0), *properties = PyTuple_GET_ITEM(data, 1);
    PyObject *children = PyTuple_GET_ITEM(data, 2), *scalar_classes = PyTuple_GET_ITEM(data, 4);
    if (!PyDict_CheckExact(value))
        return fast_null(PyTuple_GET_ITEM(data, 3), value);
    Py_INCREF(value); /* (held while checks run) */
    PyObject *result = NULL;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(required); i++) {
        int present = PyDict_Contains(value, PyTuple_GET_ITEM(required, i));
        if (present < 0)
            goto done;
        if (!present) {
            result = Py_NewRef(Py_False);
            goto done;
        }
    }
    Py_ssize_t position = 0;
    PyObject *name, *item;
    while (PyDict_Next(value, &position, &name, &item)) {
        if (!PyUnicode_CheckExact(name)) {
            result = Py_NewRef(Py_False); /* as_json would turn it into a string first */
            goto done;
        }
        Py_INCREF(name);
        Py_INCREF(item);
        PyObject *sub = PyDict_GetItemWithError(properties, name); /* (a str's lookup) */
        int passes = 1;
        if (sub == NULL && PyErr_Occurred())
            passes = -1;
        else if (sub == NULL || sub == Py_None)
            sub = PyList_GET_ITEM(children, 0);
        if (passes == 1 && sub != NULL && sub != Py_None) {
            Py_INCREF(sub);
            passes = fast_passes(sub, item, scalar_classes);
            Py_DECREF(sub);
        }
        Py_DECREF(name);
        Py_DECREF(item);
        if (passes < 0)
            goto done;
        if (!passes) {
            result = Py_NewRef(Py_False);
            goto done;
        }
    }
    result = Py_NewRef(Py_True);
done:
    Py_DECREF(value);
    return result;
}

static PyObject *
fast_array(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 2 || !PyTuple_CheckExact(args[0]) || PyTuple_GET_SIZE(args[0]) != 3 ||
        !PyList_CheckExact(PyTuple_GET_ITEM(args[0], 0)) ||
        PyList_GET_SIZE(PyTuple_GET_ITEM(args[0], 0)) != 2 ||
        !PyDict_CheckExact(PyTuple_GET_ITEM(args[0], 2))) {
        PyErr_SetString(PyExc_TypeError, "fast_array takes its data and a value");
        return NULL;
    }
    PyObject *data = args[0], *value = args[1];
    if (!PyList_CheckExact(value))
        return fast_null(PyTuple_GET_ITEM(data, 1), value);
    PyObject *items = Py_NewRef(PyList_GET_ITEM(PyTuple_GET_ITEM(data, 0), 1));
    Py_INCREF(value); /* (held while checks run) */
    PyObject *result = NULL;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(value); i++) {
        PyObject *item = Py_NewRef(PyList_GET_ITEM(value, i));
        int passes = fast_passes(items, item, PyTuple_GET_ITEM(data, 2));
        Py_DECREF(item);
        if (passes < 0)
            goto done;
        if (!passes) {
            result = Py_NewRef(Py_False);
            goto done;
        }
    }
    result = Py_NewRef(Py_True);
done:
    Py_DECREF(value);
    Py_DECREF(items);
    return result;
}

/* explain_children(instance, run, leaf, known, path, sizes, child, out): the loops of
 * kpolicy.schema.lite's items (a list) and _extra (a dict) for a value no deeper than
 * max_depth (lite._explain_children, which it stands in for: the same calls in the same
 * order): each item, or each key not in known (None: every key), whose value's class is not
 * one of leaf, is explained by run(value, path + (index or key,), record, out); the first
 * child's record is child (-1: not known, nor is any), each next one's after the previous
 * one's subtree (sizes[record] records). */
static PyObject *
explain_children(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 8) {
        PyErr_SetString(PyExc_TypeError, "explain_children takes 8 arguments");
        return NULL;
    }
    PyObject *instance = args[0], *run = args[1], *leaf = args[2], *known = args[3];
    PyObject *path = args[4], *sizes = args[5], *out = args[7];
    int is_list = PyList_CheckExact(instance);
    if ((!is_list && !PyDict_CheckExact(instance)) || !PyTuple_CheckExact(path)) {
        PyErr_SetString(PyExc_TypeError, "explain_children takes a list or a dict, and a path");
        return NULL;
    }
    Py_ssize_t child = PyLong_AsSsize_t(args[6]);
    if (child == -1 && PyErr_Occurred())
        return NULL;
    Sizes subtree;
    if (child >= 0 && sizes_open(&subtree, sizes) < 0)
        return NULL;
    int viewed = child >= 0;
    Py_ssize_t length = PyTuple_GET_SIZE(path);
    Py_ssize_t position = 0, index = 0;
    PyObject *name = NULL, *item = NULL;
    for (;;) {
        if (is_list) {
            if (index >= PyList_GET_SIZE(instance))
                break;
            item = Py_NewRef(PyList_GET_ITEM(instance, index));
            name = PyLong_FromSsize_t(index);
            if (name == NULL) {
                Py_DECREF(item);
                goto failed;
            }
            index++;
        }
        else {
            PyObject *key, *value;
            if (!PyDict_Next(instance, &position, &key, &value))
                break;
            name = Py_NewRef(key);
            item = Py_NewRef(value);
        }
        /* (item.__class__: its type for the classes the loader makes) */
        PyObject *cls;
        if (PyUnicode_CheckExact(item) || PyLong_CheckExact(item) || PyDict_CheckExact(item) ||
            PyList_CheckExact(item) || PyBool_Check(item) || PyFloat_CheckExact(item) ||
            item == Py_None)
            cls = Py_NewRef((PyObject *)Py_TYPE(item));
        else if ((cls = PyObject_GetAttrString(item, "__class__")) == NULL)
            goto failed_item;
        int skipped = PySequence_Contains(leaf, cls);
        Py_DECREF(cls);
        if (skipped < 0)
            goto failed_item;
        if (!skipped && known != Py_None) {
            skipped = PySequence_Contains(known, name);
            if (skipped < 0)
                goto failed_item;
        }
        if (!skipped) {
            PyObject *child_path = PyTuple_New(length + 1);
            PyObject *record = child_path == NULL ? NULL : PyLong_FromSsize_t(child >= 0 ? child : -1);
            if (record == NULL) {
                Py_XDECREF(child_path);
                goto failed_item;
            }
            for (Py_ssize_t j = 0; j < length; j++)
                PyTuple_SET_ITEM(child_path, j, Py_NewRef(PyTuple_GET_ITEM(path, j)));
            PyTuple_SET_ITEM(child_path, length, Py_NewRef(name));
            PyObject *call[4] = {item, child_path, record, out};
            PyObject *done = PyObject_Vectorcall(run, call, 4, NULL);
            Py_DECREF(child_path);
            Py_DECREF(record);
            if (done == NULL)
                goto failed_item;
            Py_DECREF(done);
        }
        Py_DECREF(name);
        Py_DECREF(item);
        if (child >= 0) {
            Py_ssize_t size = sizes_at(&subtree, child);
            if (size == -1 && PyErr_Occurred())
                goto failed;
            child += size;
        }
    }
    if (viewed)
        sizes_close(&subtree);
    Py_RETURN_NONE;

failed_item:
    Py_DECREF(name);
    Py_DECREF(item);
failed:
    if (viewed)
        sizes_close(&subtree);
    return NULL;
}

/* span_of: kpolicy.positions.PositionTable.span_of on a compact table's records (an array of
 * "H" or "i"), the Span made without its __init__, as the open twin makes it there: an instance
 * of the class with its four slots set (by their descriptors). span_class(Span) names the class
 * and finds its slots (True), or declines a class that is not a plain record of those four
 * slots (False: span_of then raises TypeError, and kpolicy.positions keeps its own). */
static PyTypeObject *span_type = NULL;
/* a slot that holds an object, unset raising AttributeError: T_OBJECT_EX of structmember.h,
 * which defines PyMemberDef (its layout is the stable ABI's: copied here) with names that
 * clash with this file's */
#define OBJECT_SLOT 16
struct member_layout {
    const char *name;
    int type;
    Py_ssize_t offset;
    int flags;
    const char *doc;
};

static PyObject *span_slots[4]; /* the slots' member descriptors, which set them */

static PyObject *
span_class(PyObject *module, PyObject *cls)
{
    (void)module;
    static const char *names[4] = {"line", "column", "end_line", "end_column"};
    if (!PyType_Check(cls))
        Py_RETURN_FALSE;
    PyTypeObject *type = (PyTypeObject *)cls;
    if (type->tp_dictoffset != 0 || type->tp_weaklistoffset != 0 ||
        type->tp_basicsize != (Py_ssize_t)(sizeof(PyObject) + 4 * sizeof(PyObject *)) ||
        type->tp_alloc == NULL || type->tp_base != &PyBaseObject_Type)
        Py_RETURN_FALSE;
    PyObject *slots[4];
    for (int i = 0; i < 4; i++) {
        slots[i] = PyDict_GetItemString(type->tp_dict, names[i]);
        if (slots[i] == NULL || !Py_IS_TYPE(slots[i], &PyMemberDescr_Type) ||
            PyDescr_TYPE(slots[i]) != type)
            Py_RETURN_FALSE;
    }
    Py_INCREF(cls);
    Py_XSETREF(span_type, type);
    for (int i = 0; i < 4; i++)
        Py_XSETREF(span_slots[i], Py_NewRef(slots[i]));
    Py_RETURN_TRUE;
}

static PyObject *anchor_texts[3]; /* "key", "auto", "value", interned (span_of) */

static PyObject *
span_of(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "span_of takes 3 arguments");
        return NULL;
    }
    if (span_type == NULL) {
        PyErr_SetString(PyExc_TypeError, "span_of: no span class");
        return NULL;
    }
    /* (an index past a Py_ssize_t: IndexError, as the method's array lookup raises) */
    Py_ssize_t index = PyNumber_AsSsize_t(args[1], PyExc_IndexError);
    if (index == -1 && PyErr_Occurred())
        return NULL;
    PyObject *anchor = args[2];
    Py_buffer view;
    if (PyObject_GetBuffer(args[0], &view, PyBUF_FORMAT | PyBUF_C_CONTIGUOUS) < 0)
        return NULL;
    int wide = table_width(&view);
    if (wide < 0) {
        PyBuffer_Release(&view);
        PyErr_SetString(PyExc_TypeError, "span_of: records of \"H\" or \"i\"");
        return NULL;
    }
    /* (the index bounded before it is multiplied: a larger one would overflow) */
    if (index < 0 || index >= view.len / view.itemsize / RECORD) {
        PyBuffer_Release(&view);
        PyErr_SetString(PyExc_IndexError, "array index out of range");
        return NULL;
    }
    Py_ssize_t base = index * RECORD;
    long r[8];
    for (int i = 0; i < 8; i++)
        r[i] = wide ? ((int *)view.buf)[base + i] : ((unsigned short *)view.buf)[base + i];
    PyBuffer_Release(&view);
    /* anchor == "key", anchor == "auto" (a str equal to them; anything else is neither): the
     * interned texts, which the checks' literals are, told by identity first (a finding's
     * span is made here, and "value", their usual anchor, was compared twice) */
    int key = 0, automatic = 0;
    if (anchor_texts[0] == NULL) {
        static const char *texts[3] = {"key", "auto", "value"};
        for (int i = 0; i < 3; i++) {
            if ((anchor_texts[i] = PyUnicode_InternFromString(texts[i])) == NULL)
                return NULL;
        }
    }
    if (anchor == anchor_texts[0])
        key = 1;
    else if (anchor == anchor_texts[1])
        automatic = 1;
    else if (anchor != anchor_texts[2] && PyUnicode_Check(anchor)) {
        key = PyUnicode_CompareWithASCIIString(anchor, "key") == 0;
        automatic = !key && PyUnicode_CompareWithASCIIString(anchor, "auto") == 0;
    }
    long line = r[0], fields[4];
    if (r[4] != 0 && (key || (automatic && r[2] > line))) {
        fields[0] = r[4];
        fields[1] = r[5];
        fields[2] = r[6];
        fields[3] = r[7];
    }
    else if (automatic && r[2] > line) {
        fields[0] = line;
        fields[1] = r[1];
        fields[2] = line;
        fields[3] = r[1] + 1;
    }
    else {
        fields[0] = line;
        fields[1] = r[1];
        fields[2] = r[2];
        fields[3] = r[3];
    }
    PyObject *values[4];
    for (int i = 0; i < 4; i++) {
        values[i] = PyLong_FromLong(fields[i]);
        if (values[i] == NULL) {
            for (int j = 0; j < i; j++)
                Py_DECREF(values[j]);
            return NULL;
        }
    }
    PyObject *span = span_type->tp_alloc(span_type, 0);
    if (span == NULL) {
        for (int i = 0; i < 4; i++)
            Py_DECREF(values[i]);
        return NULL;
    }
    /* each slot set by its descriptor (as the record's own setters do): written in place
     * for a writable slot of __slots__ (what the descriptor does, the new span's slots being
     * empty: made_record's way), a span made for each finding */
    descrsetfunc set = PyMemberDescr_Type.tp_descr_set;
    int failed = 0;
    for (int i = 0; i < 4; i++) {
        const struct member_layout *member =
            (const struct member_layout *)((PyMemberDescrObject *)span_slots[i])->d_member;
        if (!failed) {
            if (member->type == OBJECT_SLOT && (member->flags & 1) == 0 && member->offset > 0) {
                PyObject **at = (PyObject **)((char *)span + member->offset);
                Py_XSETREF(*at, Py_NewRef(values[i]));
            }
            else if (set(span_slots[i], span, values[i]) < 0)
                failed = 1;
        }
        Py_DECREF(values[i]);
    }
    if (failed) {
        Py_DECREF(span);
        return NULL;
    }
    return span;
}


/* new_record(slots, *values): an instance of the class of the member descriptors slots (a
 * tuple, one for each of its fields, in order), each slot set to its value by its descriptor,
 * without the class's __init__: what kpolicy.records' open twin makes (for a frozen record of
 * slots with no __post_init__: kpolicy.records.slot_maker checks it). */
static PyObject *
made_record(PyObject *slots, PyObject *const *values, Py_ssize_t count)
{
    if (!PyTuple_CheckExact(slots) || PyTuple_GET_SIZE(slots) != count || count < 1) {
        PyErr_SetString(PyExc_TypeError, "new_record takes the slots and a value for each");
        return NULL;
    }
    PyTypeObject *type = NULL;
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *slot = PyTuple_GET_ITEM(slots, i);
        if (!Py_IS_TYPE(slot, &PyMemberDescr_Type) ||
            (type != NULL && PyDescr_TYPE(slot) != type)) {
            PyErr_SetString(PyExc_TypeError, "new_record: the slots of one class");
            return NULL;
        }
        type = PyDescr_TYPE(slot);
    }
    if (type->tp_dictoffset != 0 || type->tp_alloc == NULL) {
        PyErr_SetString(PyExc_TypeError, "new_record: a class of slots only");
        return NULL;
    }
    PyObject *made = type->tp_alloc(type, 0);
    if (made == NULL)
        return NULL;
    descrsetfunc set = PyMemberDescr_Type.tp_descr_set;
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *slot = PyTuple_GET_ITEM(slots, i);
        const struct member_layout *member =
            (const struct member_layout *)((PyMemberDescrObject *)slot)->d_member;
        if (member->type == OBJECT_SLOT && (member->flags & 1) == 0 && member->offset > 0) {
            /* (what its descriptor does, the slot of a new record being empty: a slot of
             * __slots__, writable, READONLY not set) */
            PyObject **at = (PyObject **)((char *)made + member->offset);
            Py_XSETREF(*at, Py_NewRef(values[i]));
        }
        else if (set(slot, made, values[i]) < 0) {
            Py_DECREF(made);
            return NULL;
        }
    }
    return made;
}

static PyObject *
new_record(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs < 2) {
        PyErr_SetString(PyExc_TypeError, "new_record takes the slots and a value for each");
        return NULL;
    }
    return made_record(args[0], args + 1, nargs - 1);
}

/* flat_findings(flat, ref, span_slots, diagnostic_slots): the findings of a worker's flat
   list (kpolicy.lint.run._flat_fields), as kpolicy.lint.run._findings makes them: in the list
   flat, a str and the ten items after it, (rule, severity, message, file, line, column,
   end_line, end_column, path, object, rejects), are the Diagnostic (new_record on
   diagnostic_slots) of (rule, severity, message, file, the Span of (line, column, end_line,
   end_column), path, ref where object is True else object, (), None, None, rejects, None,
   None); anything else is itself (a finding that travelled whole). The parent makes a
   child's findings so in one call a list, where a loop of Python's, a call of new_record
   for each record, was most of the rebuilding of its answers. */
static PyObject *
flat_findings(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 4 || !PyList_CheckExact(args[0])) {
        PyErr_SetString(PyExc_TypeError,
                        "flat_findings takes a list, the ref, and the slots of Span and Diagnostic");
        return NULL;
    }
    PyObject *flat = args[0], *ref = args[1], *span_slots = args[2], *diag_slots = args[3];
    Py_ssize_t size = PyList_GET_SIZE(flat), count = 0;
    for (Py_ssize_t i = 0; i < size; count++) {
        if (!PyUnicode_CheckExact(PyList_GET_ITEM(flat, i))) {
            i++;
            continue;
        }
        if (size - i < 11) {
            PyErr_SetString(PyExc_TypeError, "flat_findings: a finding of eleven fields");
            return NULL;
        }
        i += 11;
    }
    PyObject *found = PyList_New(count);
    if (found == NULL)
        return NULL;
    PyObject *empty = PyTuple_New(0);
    if (empty == NULL) {
        Py_DECREF(found);
        return NULL;
    }
    Py_ssize_t i = 0;
    for (Py_ssize_t n = 0; n < count; n++) {
        /* the fields held while records are allocated (and a list that changed size refused):
         * an allocation may run a finalizer, which could change the list */
        if (PyList_GET_SIZE(flat) != size || i >= size) {
            PyErr_SetString(PyExc_RuntimeError, "flat_findings: the list changed size");
            goto failed;
        }
        PyObject *item = PyList_GET_ITEM(flat, i);
        if (!PyUnicode_CheckExact(item)) {
            PyList_SET_ITEM(found, n, Py_NewRef(item));
            i++;
            continue;
        }
        if (size - i < 11) {
            PyErr_SetString(PyExc_RuntimeError, "flat_findings: the list changed size");
            goto failed;
        }
        PyObject *field[11];
        for (int f = 0; f < 11; f++)
            field[f] = Py_NewRef(PyList_GET_ITEM(flat, i + f));
        i += 11;
        PyObject *span = made_record(span_slots, field + 4, 4);
        PyObject *made = NULL;
        if (span != NULL) {
            PyObject *values[13] = {field[0], field[1], field[2], field[3], span,
                                    field[8], field[9] == Py_True ? ref : field[9],
                                    empty, Py_None, Py_None, field[10], Py_None, Py_None};
            made = made_record(diag_slots, values, 13);
            Py_DECREF(span);
        }
        for (int f = 0; f < 11; f++)
            Py_DECREF(field[f]);
        if (made == NULL)
            goto failed;
        PyList_SET_ITEM(found, n, made);
    }
    Py_DECREF(empty);
    return found;
failed:
    Py_DECREF(empty);
    Py_DECREF(found);
    return NULL;
}

/* schema_diagnostics(fields, span_of, fix_of, reports, pointers, keep_pointer, to_pointer,
 * span_at, slots, file, ref, rejecting, found): the loop of
 * kpolicy.checks.schema_rules.schema_diagnostics over the problems of an object whose
 * problems are all kept as their rules say (schema_rules._diagnostics, which it stands in
 * for: the same calls in the same order, the same Diagnostics appended to found). Each of
 * fields is (rule, path, anchor, message, rename, quote, record); its span is
 * span_of(record, anchor) for a record (>= 0), its fix fix_of(path, rename, quote) (fix_of
 * None: none), its severity reports[rule] (a dict; not there, or None: no finding), its pointer
 * pointers[path] for a record (else keep_pointer(path)), or to_pointer(path), a span not
 * known span_at(pointer, anchor); slots make the Diagnostic (new_record) of (rule, severity,
 * message, file, span, pointer, ref, (), fix, None, rule in rejecting, None, None). */
static PyObject *
schema_diagnostics(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 13) {
        PyErr_SetString(PyExc_TypeError, "schema_diagnostics takes 13 arguments");
        return NULL;
    }
    PyObject *fields = args[0], *span_of_ = args[1], *fix_of = args[2], *reports = args[3];
    PyObject *pointers = args[4], *keep_pointer = args[5], *to_pointer = args[6];
    PyObject *span_at = args[7], *slots = args[8], *file = args[9], *ref = args[10];
    PyObject *rejecting = args[11], *found = args[12];
    if (!PyList_CheckExact(fields) || !PyDict_CheckExact(reports) ||
        !PyDict_CheckExact(pointers) || !PyList_CheckExact(found)) {
        PyErr_SetString(PyExc_TypeError, "schema_diagnostics: lists and dicts");
        return NULL;
    }
    PyObject *empty = PyTuple_New(0);
    if (empty == NULL)
        return NULL;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(fields); i++) {
        PyObject *problem = PyList_GET_ITEM(fields, i);
        if (!PyTuple_CheckExact(problem) || PyTuple_GET_SIZE(problem) != 7) {
            PyErr_SetString(PyExc_TypeError, "schema_diagnostics: a problem of seven fields");
            goto failed;
        }
        Py_INCREF(problem); /* (held while calls run) */
        PyObject *rule = PyTuple_GET_ITEM(problem, 0), *path = PyTuple_GET_ITEM(problem, 1);
        PyObject *anchor = PyTuple_GET_ITEM(problem, 2);
        PyObject *message = PyTuple_GET_ITEM(problem, 3);
        PyObject *record = PyTuple_GET_ITEM(problem, 6);
        PyObject *span = NULL, *fix = NULL, *pointer = NULL, *made = NULL;
        int positioned;
        if (PyLong_CheckExact(record)) {
            int overflow;
            long number = PyLong_AsLongAndOverflow(record, &overflow);
            positioned = overflow > 0 || (overflow == 0 && number >= 0);
        }
        else {
            PyObject *zero = PyLong_FromLong(0);
            if (zero == NULL)
                goto failed_problem;
            positioned = PyObject_RichCompareBool(record, zero, Py_GE);
            Py_DECREF(zero);
        }
        if (positioned < 0)
            goto failed_problem;
        if (positioned) {
            PyObject *call[2] = {record, anchor};
            span = PyObject_Vectorcall(span_of_, call, 2, NULL);
            if (span == NULL)
                goto failed_problem;
        }
        else
            span = Py_NewRef(Py_None);
        if (fix_of != Py_None) {
            PyObject *call[3] = {path, PyTuple_GET_ITEM(problem, 4), PyTuple_GET_ITEM(problem, 5)};
            fix = PyObject_Vectorcall(fix_of, call, 3, NULL);
            if (fix == NULL)
                goto failed_problem;
        }
        else
            fix = Py_NewRef(Py_None);
        PyObject *severity = PyDict_GetItemWithError(reports, rule);
        if (severity == NULL || severity == Py_None) {
            if (severity == NULL && PyErr_Occurred())
                goto failed_problem;
            /* not enabled, or the rule does not apply to this kind */
            Py_DECREF(span);
            Py_DECREF(fix);
            Py_DECREF(problem);
            continue;
        }
        Py_INCREF(severity);
        if (positioned) {
            pointer = PyDict_GetItemWithError(pointers, path);
            if (pointer != NULL)
                Py_INCREF(pointer);
            else if (PyErr_Occurred())
                goto failed_severity;
            else if ((pointer = PyObject_CallOneArg(keep_pointer, path)) == NULL)
                goto failed_severity;
        }
        else if ((pointer = PyObject_CallOneArg(to_pointer, path)) == NULL)
            goto failed_severity;
        if (span == Py_None) {
            PyObject *call[2] = {pointer, anchor};
            PyObject *looked_up = PyObject_Vectorcall(span_at, call, 2, NULL);
            if (looked_up == NULL)
                goto failed_pointer;
            Py_SETREF(span, looked_up);
        }
        int rejects = PySequence_Contains(rejecting, rule);
        if (rejects < 0)
            goto failed_pointer;
        PyObject *values[13] = {rule,  severity, message, file,  span,
                                pointer, ref,  empty,   fix,   Py_None,
                                rejects ? Py_True : Py_False, Py_None, Py_None};
        made = made_record(slots, values, 13);
        if (made == NULL)
            goto failed_pointer;
        int appended = PyList_Append(found, made);
        Py_DECREF(made);
        Py_DECREF(pointer);
        Py_DECREF(severity);
        Py_DECREF(span);
        Py_DECREF(fix);
        Py_DECREF(problem);
        if (appended < 0)
            goto failed;
        continue;
    failed_pointer:
        Py_DECREF(pointer);
    failed_severity:
        Py_DECREF(severity);
    failed_problem:
        Py_XDECREF(span);
        Py_XDECREF(fix);
        Py_DECREF(problem);
        goto failed;
    }
    Py_DECREF(empty);
    Py_RETURN_NONE;
failed:
    Py_DECREF(empty);
    return NULL;
}

/* Arenas made whole (populate_arenas): a one-shot lint process grows its heap by ~40 MB on a
   large input, and the kernel of a virtual machine took ~2 us for each 4 KiB page of it that
   the process touched first (a fault apiece); a memory map of a whole 256 KiB..1 MiB arena
   populated by the one system call that makes it costs about half as much a page. What
   obmalloc asks an arena of is otherwise the default's: an anonymous private map, freed by
   unmapping it (so arenas made before the switch are freed alike). */
#ifdef MAP_POPULATE
static void *
populated_arena(void *context, size_t size)
{
    (void)context;
    void *arena = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
                       -1, 0);
    return arena == MAP_FAILED ? NULL : arena;
}

static void
unmapped_arena(void *context, void *arena, size_t size)
{
    (void)context;
    munmap(arena, size);
}

static PyObjectArenaAllocator populating = {NULL, populated_arena, unmapped_arena};
#endif

static int
arenas_are_populated(void)
{
#ifdef MAP_POPULATE
    PyObjectArenaAllocator current;
    PyObject_GetArenaAllocator(&current);
    return current.alloc == populated_arena;
#else
    return 0;
#endif
}

static PyObject *
populate_arenas(PyObject *module, PyObject *unused)
{
    (void)module;
    (void)unused;
#ifdef MAP_POPULATE
    if (!arenas_are_populated())
        PyObject_SetArenaAllocator(&populating);
#endif
    return PyBool_FromLong(arenas_are_populated());
}

static PyObject *
arenas_populated(PyObject *module, PyObject *unused)
{
    (void)module;
    (void)unused;
    return PyBool_FromLong(arenas_are_populated());
}

/* The address space's teardown handed over (hand_off_teardown): a process that ends unmaps its
   whole memory before its parent learns it ended, ~3 ms of a many-findings lint (its ~40 MB, a
   page at a time) that whoever started kpolicy waited for. A helper made by clone() shares
   that memory (CLONE_VM, in a process of its own: not ended with kpolicy's threads), so that
   the memory outlives kpolicy's end, which is then told at once; the helper waits for the end
   of a pipe whose writing end kpolicy alone then holds (closed as it ends, whatever ends it)
   and then ends itself, unmapping the memory meanwhile, at the idle priority (never before
   anything else that wants a core). Every other descriptor of kpolicy's is closed first, so
   that the helper holds none (a reader of kpolicy's output sees its end as before, not once
   the helper ran): for a process about to end. The helper runs only system calls, on a stack
   of its own, every signal blocked. Not under valgrind, which refuses such a clone() (and
   ends the program). */
#if defined(__linux__) && defined(CLONE_VM)
#include <dirent.h>
#include <limits.h>
static char teardown_stack[16384] __attribute__((aligned(64)));
static long teardown_helper = 0;

static int
teardown_wait(void *argument)
{
    const int *ends = (const int *)argument;
    int reading = ends[0];
    /* its own working folder, not kpolicy's: that of a process alive after kpolicy ended
       would keep busy a file system its caller then unmounts (the repository's) */
    syscall(SYS_chdir, "/");
    syscall(SYS_close, ends[1]);
    struct sched_param idle = {0};
    syscall(SYS_sched_setscheduler, 0, SCHED_IDLE, &idle);
    char byte;
    syscall(SYS_read, reading, &byte, (size_t)1);
    syscall(SYS_exit, 0);
    return 0;
}

static int
under_valgrind(void)
{
#ifdef RUNNING_ON_VALGRIND
    if (RUNNING_ON_VALGRIND)
        return 1;
#endif
    const char *preload = getenv("LD_PRELOAD");
    return preload != NULL && strstr(preload, "vgpreload") != NULL;
}

/* Closes every descriptor of the process but keep_a and keep_b, as /proc/self/fd lists them
   (not by close_range, Linux 5.9, which a sandbox's allow-list may lack and then kill the
   process at, at its very end); -1, nothing closed, where that folder cannot be read. (A
   folder of /proc lists the descriptors by their number, from where the last read ended:
   closing those read already leaves none of the rest out.) */
static int
close_all_but(int keep_a, int keep_b)
{
    DIR *folder = opendir("/proc/self/fd");
    if (folder == NULL)
        return -1;
    int own = dirfd(folder);
    struct dirent *entry;
    while ((entry = readdir(folder)) != NULL) {
        const char *name = entry->d_name;
        if (name[0] < '0' || name[0] > '9')
            continue;
        long fd = strtol(name, NULL, 10);
        if (fd != own && fd != keep_a && fd != keep_b && fd >= 0 && fd <= INT_MAX)
            close((int)fd);
    }
    closedir(folder);
    return 0;
}
#endif

static PyObject *
hand_off_teardown(PyObject *module, PyObject *unused)
{
    (void)module;
    (void)unused;
#if defined(__linux__) && defined(CLONE_VM)
    static int ends[2];
    if (teardown_helper > 0)
        return PyLong_FromLong(teardown_helper);
    if (under_valgrind())
        return PyLong_FromLong(0);
    if (pipe2(ends, O_CLOEXEC) != 0)
        return PyLong_FromLong(0);
    if (close_all_but(ends[0], ends[1]) != 0) { /* no /proc: nothing closed, nothing made */
        close(ends[0]);
        close(ends[1]);
        return PyLong_FromLong(0);
    }
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int pid = clone(teardown_wait, teardown_stack + sizeof(teardown_stack), CLONE_VM, ends);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    close(ends[0]);
    if (pid <= 0) {
        close(ends[1]);
        return PyLong_FromLong(0);
    }
    teardown_helper = pid; /* ends[1] stays open till this process ends */
    return PyLong_FromLong(pid);
#else
    return PyLong_FromLong(0);
#endif
}

/* path_walk(records, node, index, path, scanned): the walk of
 * kpolicy.positions.PositionTable.path_span down path (str keys of dicts, int positions in
 * lists) from node, whose record is index, in a compact table's records (an array of "H" or
 * "i"): (the record of the deepest node reached, how many tokens reached it); None where a
 * token is not of its container's type (path_span's None); False where the walk is left to
 * Python (a container past scanned, which path_span finds through its children's records, a
 * record outside the table, a path that is not a tuple). Each child's record follows its
 * container's, each after the previous child's subtree (its size: a record's last field). */
static PyObject *
path_walk(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 5) {
        PyErr_SetString(PyExc_TypeError, "path_walk takes 5 arguments");
        return NULL;
    }
    PyObject *node = args[1], *path = args[3];
    Py_ssize_t index = PyLong_AsSsize_t(args[2]);
    if (index == -1 && PyErr_Occurred())
        return NULL;
    Py_ssize_t scanned = PyLong_AsSsize_t(args[4]);
    if (scanned == -1 && PyErr_Occurred())
        return NULL;
    if (!PyTuple_CheckExact(path) || index < 0)
        Py_RETURN_FALSE;
    Py_buffer view;
    if (PyObject_GetBuffer(args[0], &view, PyBUF_FORMAT | PyBUF_C_CONTIGUOUS) < 0)
        return NULL;
    int wide = table_width(&view);
    if (wide < 0) {
        PyBuffer_Release(&view);
        Py_RETURN_FALSE;
    }
    Py_ssize_t items = view.len / view.itemsize;
    Py_ssize_t depth = 0;
    Py_INCREF(node); /* (held: a key's comparison may run code) */
    PyObject *answer = NULL; /* (None or False when decided before the end) */
    for (; depth < PyTuple_GET_SIZE(path); depth++) {
        PyObject *token = PyTuple_GET_ITEM(path, depth), *value;
        Py_ssize_t skipped; /* the children before the token's */
        if (PyDict_CheckExact(node)) {
            if (!PyUnicode_CheckExact(token)) {
                answer = Py_None;
                break;
            }
            value = PyDict_GetItemWithError(node, token);
            if (value == NULL) {
                if (PyErr_Occurred())
                    goto failed;
                break;
            }
            if (PyDict_GET_SIZE(node) > scanned) {
                answer = Py_False;
                break;
            }
            Py_INCREF(value); /* (held as node is, and each key while compared) */
            /* the keys before the token's (as `for key in node: if key == token: break`) */
            Py_ssize_t position = 0;
            PyObject *key, *item;
            skipped = 0;
            while (PyDict_Next(node, &position, &key, &item)) {
                Py_INCREF(key);
                int equal = PyObject_RichCompareBool(key, token, Py_EQ);
                Py_DECREF(key);
                if (equal < 0) {
                    Py_DECREF(value);
                    goto failed;
                }
                if (equal)
                    break;
                skipped++;
            }
        }
        else if (PyList_CheckExact(node)) {
            if (!PyLong_CheckExact(token)) {
                answer = Py_None;
                break;
            }
            int overflow;
            long position = PyLong_AsLongAndOverflow(token, &overflow);
            if (overflow != 0 || position < 0 || position >= PyList_GET_SIZE(node))
                break;
            value = PyList_GET_ITEM(node, position);
            if (position > scanned) {
                answer = Py_False;
                break;
            }
            Py_INCREF(value);
            skipped = position;
        }
        else {
            break;
        }
        index += 1;
        for (Py_ssize_t k = 0; k < skipped && answer == NULL; k++) {
            if (index < 0 || index > (items - 9) / RECORD || items < 9) {
                answer = Py_False; /* (Python's IndexError, or its negative index) */
                break;
            }
            Py_ssize_t at = index * RECORD + 8;
            index += wide ? ((int *)view.buf)[at] : ((unsigned short *)view.buf)[at];
        }
        if (answer != NULL) {
            Py_DECREF(value);
            break;
        }
        Py_SETREF(node, value);
    }
    Py_DECREF(node);
    PyBuffer_Release(&view);
    if (answer != NULL)
        return Py_NewRef(answer);
    return Py_BuildValue("(nn)", index, depth);
failed:
    Py_DECREF(node);
    PyBuffer_Release(&view);
    return NULL;
}

/* json_lines(diags, renderer, slots, kept): the loop of
 * kpolicy.report.json_report._Lines.lines (renderer: the _Lines; slots:
 * kpolicy.records.record_slots(Diagnostic); kept: _KEPT), the same calls of its methods in the
 * same order and the same lines, but _message's for a plain message and _path's for a plain
 * path, which it makes itself (plain_message), and _more's: a line's numbers are written as their digits in place
 * (joined_line), without the texts _Lines keeps of them (4,096 of them were made for a run whose
 * longest file had 3,552 lines: ~4.8M instructions in each process that rendered). A finding
 * of the usual types (a Diagnostic whose rule, message, path and file are str, its span a Span
 * of ints, no origin) is written here, each text it needs taken from the renderer's tables
 * (_heads, _messages, _paths, _last) or, when not there, from the method that makes it (_head,
 * _message, _path, _file and _object); any other, or one whose head _head declines, is the
 * renderer's _one(diag) (the Python loop of that one finding, which reads and sets
 * _last: set before it, read again after). */
static PyObject *line_literals[4]; /* ', "column": ' ', "endLine": ' ', "endColumn": ' ', "path": ' */
/* the renderer's methods and tables, by name */
enum { N_HEAD, N_MESSAGE, N_PATH, N_FILE, N_OBJECT, N_ONE, N_LAST, N_HEADS, N_MESSAGES, N_PATHS,
       N_FILE_TEXT, N_LINE_TEXT, N_OBJECT_TEXT, N_CLOSE, N_NAMES };
static PyObject *line_names[N_NAMES];

static Py_ssize_t
object_slot(PyObject *descr, PyTypeObject *type)
{
    if (!Py_IS_TYPE(descr, &PyMemberDescr_Type) || PyDescr_TYPE(descr) != type)
        return -1;
    const struct member_layout *member =
        (const struct member_layout *)((PyMemberDescrObject *)descr)->d_member;
    if (member->type != OBJECT_SLOT || member->offset <= 0)
        return -1;
    return member->offset;
}

#define SLOT_AT(obj, offset) (*(PyObject **)((char *)(obj) + (offset)))

/* whether finding_fields reads a finding from its slots: exactly of the class whose slots
 * are at[] (13, a Diagnostic's), each of them set, its related a tuple and its span exactly of
 * stype with its four slots (span_at[]) set */
static int
finding_readable(PyObject *diag, PyTypeObject *type, const Py_ssize_t *at, PyTypeObject *stype,
                 const Py_ssize_t *span_at)
{
    if (!Py_IS_TYPE(diag, type))
        return 0;
    for (int f = 0; f < 13; f++)
        if (SLOT_AT(diag, at[f]) == NULL)
            return 0;
    PyObject *span = SLOT_AT(diag, at[4]);
    if (!PyTuple_CheckExact(SLOT_AT(diag, at[7])) || !Py_IS_TYPE(span, stype))
        return 0;
    for (int f = 0; f < 4; f++)
        if (SLOT_AT(span, span_at[f]) == NULL)
            return 0;
    return 1;
}

/* whether a finding that finding_readable reads travels as its fields (see finding_fields):
 * its rule a str, its related empty and its fix, suppression, origin and found_at None */
static int
finding_flat(PyObject *diag, const Py_ssize_t *at)
{
    return PyUnicode_CheckExact(SLOT_AT(diag, at[0])) && PyTuple_GET_SIZE(SLOT_AT(diag, at[7])) == 0 &&
           SLOT_AT(diag, at[8]) == Py_None && SLOT_AT(diag, at[9]) == Py_None &&
           SLOT_AT(diag, at[11]) == Py_None && SLOT_AT(diag, at[12]) == Py_None;
}

/* finding_fields(found, ref, span_slots, diagnostic_slots): what a worker sends of an object's
 * findings (kpolicy.lint.run._flat_fields of the list found): a Diagnostic whose rule is a
 * str, whose related is an empty tuple and whose fix, suppression, origin and found_at are
 * None travels as its fields in a row, (rule, severity, message, file, line, column,
 * end_line, end_column, path, object, rejects), its span's and its object's (True where that
 * is ref); any other as itself. None (the caller then runs _flat_fields) where a finding is
 * not one finding_readable reads: read from the slots, a worker's findings are flattened at a
 * tenth of the instructions of _flat's attribute reads (each finding of the run is sent so),
 * and one list an object, not a tuple a finding, is pickled and unpickled. */
static PyObject *
finding_fields(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 4 || !PyList_CheckExact(args[0]) || !PyTuple_CheckExact(args[2]) ||
        !PyTuple_CheckExact(args[3]) || PyTuple_GET_SIZE(args[2]) != 4 ||
        PyTuple_GET_SIZE(args[3]) != 13) {
        PyErr_SetString(PyExc_TypeError,
                        "finding_fields takes a list, the ref, and the slots of Span and Diagnostic");
        return NULL;
    }
    PyObject *found = args[0], *ref = args[1], *span_slots_ = args[2], *diag_slots = args[3];
    PyObject *first = PyTuple_GET_ITEM(diag_slots, 0);
    PyObject *first_span = PyTuple_GET_ITEM(span_slots_, 0);
    if (!Py_IS_TYPE(first, &PyMemberDescr_Type) || !Py_IS_TYPE(first_span, &PyMemberDescr_Type))
        Py_RETURN_NONE;
    PyTypeObject *type = PyDescr_TYPE(first), *stype = PyDescr_TYPE(first_span);
    Py_ssize_t at[13], span_at[4];
    for (int i = 0; i < 13; i++) {
        at[i] = object_slot(PyTuple_GET_ITEM(diag_slots, i), type);
        if (at[i] < 0)
            Py_RETURN_NONE;
    }
    for (int i = 0; i < 4; i++) {
        span_at[i] = object_slot(PyTuple_GET_ITEM(span_slots_, i), stype);
        if (span_at[i] < 0)
            Py_RETURN_NONE;
    }
    /* made as long as every finding's fields would be, before any is looked at (nothing
     * after allocates: no finalizer can change the list or a finding meanwhile), then cut */
    Py_ssize_t count = PyList_GET_SIZE(found);
    PyObject *fields = PyList_New(count * 11);
    if (fields == NULL)
        return NULL;
    if (PyList_GET_SIZE(found) != count) {
        Py_DECREF(fields);
        PyErr_SetString(PyExc_RuntimeError, "finding_fields: the list changed size");
        return NULL;
    }
    Py_ssize_t n = 0;
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *diag = PyList_GET_ITEM(found, i);
        if (!finding_readable(diag, type, at, stype, span_at)) {
            Py_DECREF(fields); /* (its items not yet set are NULL) */
            Py_RETURN_NONE;
        }
        if (!finding_flat(diag, at)) {
            PyList_SET_ITEM(fields, n++, Py_NewRef(diag));
            continue;
        }
        PyObject *span = SLOT_AT(diag, at[4]);
        PyObject *obj = SLOT_AT(diag, at[6]);
        PyObject *values[11] = {
            SLOT_AT(diag, at[0]),      SLOT_AT(diag, at[1]),      SLOT_AT(diag, at[2]),
            SLOT_AT(diag, at[3]),      SLOT_AT(span, span_at[0]), SLOT_AT(span, span_at[1]),
            SLOT_AT(span, span_at[2]), SLOT_AT(span, span_at[3]), SLOT_AT(diag, at[5]),
            obj == ref ? Py_True : obj, SLOT_AT(diag, at[10])};
        for (int f = 0; f < 11; f++)
            PyList_SET_ITEM(fields, n++, Py_NewRef(values[f]));
    }
    /* the unused end cut off (its items NULL; a smaller list's memory, no object made) */
    if (n < count * 11 && PyList_SetSlice(fields, n, count * 11, NULL) < 0) {
        Py_DECREF(fields);
        return NULL;
    }
    return fields;
}

/* the text of a piece of an f-string (FORMAT_VALUE without a spec): a str itself */
static PyObject *
formatted(PyObject *value)
{
    if (PyUnicode_CheckExact(value))
        return Py_NewRef(value);
    return PyObject_Format(value, NULL);
}

/* the concatenation of count str (each a new reference, all released) */
static PyObject *
joined_pieces(PyObject **pieces, int count)
{
    Py_ssize_t length = 0;
    Py_UCS4 widest = 0;
    PyObject *made = NULL;
    for (int i = 0; i < count; i++) {
        if (pieces[i] == NULL || !PyUnicode_Check(pieces[i]))
            goto done;
        length += PyUnicode_GET_LENGTH(pieces[i]);
        Py_UCS4 most = PyUnicode_MAX_CHAR_VALUE(pieces[i]);
        if (most > widest)
            widest = most;
    }
    made = PyUnicode_New(length, widest);
    if (made == NULL)
        goto done;
    Py_ssize_t at = 0;
    for (int i = 0; i < count; i++) {
        Py_ssize_t size = PyUnicode_GET_LENGTH(pieces[i]);
        if (PyUnicode_KIND(made) == PyUnicode_1BYTE_KIND) {
            memcpy(PyUnicode_1BYTE_DATA(made) + at, PyUnicode_1BYTE_DATA(pieces[i]), size);
        }
        else if (PyUnicode_CopyCharacters(made, at, pieces[i], 0, size) < 0) {
            Py_CLEAR(made);
            goto done;
        }
        at += size;
    }
done:
    for (int i = 0; i < count; i++)
        Py_XDECREF(pieces[i]);
    return made;
}

/* Writes value in decimal at out (at most 20 characters); their count. */
static int
write_decimal(char *out, long long value)
{
    char digits[20];
    int count = 0, length = 0;
    /* the magnitude in unsigned arithmetic: -LLONG_MIN does not fit a long long */
    unsigned long long magnitude =
        value < 0 ? 0ULL - (unsigned long long)value : (unsigned long long)value;
    do {
        digits[count++] = (char)('0' + (int)(magnitude % 10));
        magnitude /= 10;
    } while (magnitude != 0);
    if (value < 0)
        out[length++] = '-';
    while (count > 0)
        out[length++] = digits[--count];
    return length;
}

/* A piece of a finding's line: a str (a new reference) or, text NULL, ASCII digits. */
typedef struct {
    PyObject *text;
    const char *digits;
    Py_ssize_t size;
} LinePiece;

/* the concatenation of count pieces (their str released): joined_pieces, with a number's
 * digits written in place rather than made a str of their own */
static PyObject *
joined_line(LinePiece *pieces, int count)
{
    Py_ssize_t length = 0;
    Py_UCS4 widest = 0;
    PyObject *made = NULL;
    for (int i = 0; i < count; i++) {
        if (pieces[i].digits != NULL) {
            length += pieces[i].size;
            continue;
        }
        if (pieces[i].text == NULL || !PyUnicode_Check(pieces[i].text))
            goto done;
        length += PyUnicode_GET_LENGTH(pieces[i].text);
        Py_UCS4 most = PyUnicode_MAX_CHAR_VALUE(pieces[i].text);
        if (most > widest)
            widest = most;
    }
    made = PyUnicode_New(length, widest);
    if (made == NULL)
        goto done;
    int kind = PyUnicode_KIND(made);
    void *data = PyUnicode_DATA(made);
    Py_ssize_t at = 0;
    for (int i = 0; i < count; i++) {
        if (pieces[i].digits != NULL) {
            for (Py_ssize_t j = 0; j < pieces[i].size; j++)
                PyUnicode_WRITE(kind, data, at + j, (Py_UCS4)(unsigned char)pieces[i].digits[j]);
            at += pieces[i].size;
            continue;
        }
        Py_ssize_t size = PyUnicode_GET_LENGTH(pieces[i].text);
        if (kind == PyUnicode_1BYTE_KIND) {
            memcpy((Py_UCS1 *)data + at, PyUnicode_1BYTE_DATA(pieces[i].text), size);
        }
        else if (PyUnicode_CopyCharacters(made, at, pieces[i].text, 0, size) < 0) {
            Py_CLEAR(made);
            goto done;
        }
        at += size;
    }
done:
    for (int i = 0; i < count; i++)
        Py_XDECREF(pieces[i].text);
    return made;
}

/* _Lines._message of a message JSON writes as it is (ASCII from space to "~" but quote and
 * backslash: _PLAIN's characters, nearly every message) between quotes, kept in messages
 * (emptied first when it holds kept); None for any other, which the method encodes */
static PyObject *
plain_message(PyObject *messages, PyObject *message, Py_ssize_t kept)
{
    if (!PyUnicode_IS_ASCII(message))
        Py_RETURN_NONE;
    const unsigned char *text = PyUnicode_1BYTE_DATA(message);
    Py_ssize_t size = PyUnicode_GET_LENGTH(message);
    for (Py_ssize_t i = 0; i < size; i++) {
        if (text[i] < 0x20 || text[i] > 0x7e || text[i] == '"' || text[i] == '\\')
            Py_RETURN_NONE;
    }
    if (PyDict_GET_SIZE(messages) >= kept)
        PyDict_Clear(messages);
    PyObject *encoded = PyUnicode_New(size + 2, 127);
    if (encoded == NULL)
        return NULL;
    unsigned char *into = PyUnicode_1BYTE_DATA(encoded);
    into[0] = '"';
    memcpy(into + 1, text, size);
    into[size + 1] = '"';
    if (PyDict_SetItem(messages, message, encoded) < 0) {
        Py_DECREF(encoded);
        return NULL;
    }
    return encoded;
}

static PyObject *
json_lines(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 4) {
        PyErr_SetString(PyExc_TypeError, "json_lines takes 4 arguments");
        return NULL;
    }
    PyObject *renderer = args[1], *slots = args[2];
    Py_ssize_t kept = PyLong_AsSsize_t(args[3]);
    if (kept == -1 && PyErr_Occurred())
        return NULL;
    if (span_type == NULL || !PyTuple_CheckExact(slots) || PyTuple_GET_SIZE(slots) < 12) {
        PyErr_SetString(PyExc_TypeError, "json_lines: the slots of Diagnostic, a span class");
        return NULL;
    }
    if (!Py_IS_TYPE(PyTuple_GET_ITEM(slots, 0), &PyMemberDescr_Type)) {
        PyErr_SetString(PyExc_TypeError, "json_lines: slots of objects of one class");
        return NULL;
    }
    PyTypeObject *type = PyDescr_TYPE(PyTuple_GET_ITEM(slots, 0));
    /* rule, severity, message, file, span, path, object, origin (Diagnostic's order) */
    static const int fields[8] = {0, 1, 2, 3, 4, 5, 6, 11};
    Py_ssize_t at[8], span_at[4];
    for (int i = 0; i < 8; i++) {
        at[i] = object_slot(PyTuple_GET_ITEM(slots, fields[i]), type);
        if (at[i] < 0) {
            PyErr_SetString(PyExc_TypeError, "json_lines: slots of objects of one class");
            return NULL;
        }
    }
    for (int i = 0; i < 4; i++) {
        span_at[i] = object_slot(span_slots[i], span_type);
        if (span_at[i] < 0) {
            PyErr_SetString(PyExc_TypeError, "json_lines: a span of slots");
            return NULL;
        }
    }
    if (line_names[N_NAMES - 1] == NULL) {
        static const char *texts[4] = {
            ", \"column\": ", ", \"endLine\": ", ", \"endColumn\": ", ", \"path\": "};
        static const char *names[N_NAMES] = {
            "_head", "_message", "_path", "_file", "_object", "_one", "_last",
            "_heads", "_messages", "_paths", ", \"file\": ", ", \"line\": ",
            ", \"object\": ", "}"};
        for (int i = 0; i < 4; i++) {
            if (line_literals[i] == NULL &&
                (line_literals[i] = PyUnicode_InternFromString(texts[i])) == NULL)
                return NULL;
        }
        for (int i = 0; i < N_NAMES; i++) {
            if (line_names[i] == NULL &&
                (line_names[i] = PyUnicode_InternFromString(names[i])) == NULL)
                return NULL;
        }
    }
    PyObject *seq = PySequence_Fast(args[0], "json_lines: a sequence of findings");
    if (seq == NULL)
        return NULL;
    PyObject *heads = PyObject_GetAttr(renderer, line_names[N_HEADS]);
    PyObject *messages = PyObject_GetAttr(renderer, line_names[N_MESSAGES]);
    PyObject *paths = PyObject_GetAttr(renderer, line_names[N_PATHS]);
    PyObject *last = PyObject_GetAttr(renderer, line_names[N_LAST]);
    PyObject *written = PyList_New(0);
    int last_changed = 0;
    /* the finding in hand, held: the renderer's methods (Python) run while its fields are
     * used, and the sequence is the caller's list */
    PyObject *held = NULL;
    if (heads == NULL || messages == NULL || paths == NULL || last == NULL ||
        written == NULL)
        goto failed;
    if (!PyDict_CheckExact(heads) || !PyDict_CheckExact(messages) || !PyDict_CheckExact(paths) ||
        !PyTuple_CheckExact(last) || PyTuple_GET_SIZE(last) != 4) {
        PyErr_SetString(PyExc_TypeError, "json_lines: a renderer's tables");
        goto failed;
    }
    for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(seq); i++) {
        Py_XSETREF(held, Py_NewRef(PySequence_Fast_GET_ITEM(seq, i)));
        PyObject *diag = held;
        PyObject *line = NULL;
        PyObject *v[8] = {NULL}, *n[4] = {NULL};
        int usual = Py_TYPE(diag) == type;
        for (int k = 0; usual && k < 8; k++)
            usual = (v[k] = SLOT_AT(diag, at[k])) != NULL;
        usual = usual && PyUnicode_CheckExact(v[0]) && PyUnicode_CheckExact(v[2]) &&
                PyUnicode_CheckExact(v[3]) && PyUnicode_CheckExact(v[5]) && v[7] == Py_None &&
                Py_TYPE(v[4]) == span_type;
        for (int k = 0; usual && k < 4; k++)
            usual = (n[k] = SLOT_AT(v[4], span_at[k])) != NULL && PyLong_CheckExact(n[k]);
        PyObject *head = NULL;
        if (usual) {
            head = PyDict_GetItemWithError(heads, v[0]);
            if (head == NULL && PyErr_Occurred())
                goto failed;
            if (head != NULL && head != Py_None && PyTuple_CheckExact(head) && PyTuple_GET_SIZE(head) == 2 &&
                PyTuple_GET_ITEM(head, 0) == v[1]) {
                Py_INCREF(head);
            }
            else {
                PyObject *call[3] = {renderer, v[0], v[1]};
                head = PyObject_VectorcallMethod(
                    line_names[N_HEAD], call, 3 | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL);
                if (head == NULL)
                    goto failed;
                if (head == Py_None) {
                    Py_CLEAR(head);
                    usual = 0;
                }
                else if (!PyTuple_CheckExact(head) || PyTuple_GET_SIZE(head) != 2) {
                    Py_DECREF(head);
                    PyErr_SetString(PyExc_TypeError, "json_lines: a head of two");
                    goto failed;
                }
            }
        }
        if (!usual) {
            /* the Python loop of this one finding, with the last finding's texts */
            if (last_changed && PyObject_SetAttr(renderer, line_names[N_LAST], last) < 0)
                goto failed;
            last_changed = 0;
            line = PyObject_CallMethodOneArg(renderer, line_names[N_ONE], diag);
            if (line == NULL)
                goto failed;
            PyObject *now = PyObject_GetAttr(renderer, line_names[N_LAST]);
            if (now == NULL) {
                Py_DECREF(line);
                goto failed;
            }
            if (!PyTuple_CheckExact(now) || PyTuple_GET_SIZE(now) != 4) {
                Py_DECREF(now);
                Py_DECREF(line);
                PyErr_SetString(PyExc_TypeError, "json_lines: a renderer's tables");
                goto failed;
            }
            Py_SETREF(last, now);
            int appended = PyList_Append(written, line);
            Py_DECREF(line);
            if (appended < 0)
                goto failed;
            continue;
        }
        PyObject *ref = v[6], *file = v[3];
        if (PyTuple_GET_ITEM(last, 0) != ref || PyTuple_GET_ITEM(last, 1) != file) {
            PyObject *pieces[3], *middle, *text;
            if (PyTuple_GET_ITEM(last, 1) == file) {
                /* (another object of the same file: its text as it was) */
                middle = Py_NewRef(PyTuple_GET_ITEM(last, 2));
            }
            else {
                pieces[0] = Py_NewRef(line_names[N_FILE_TEXT]);
                text = PyObject_CallMethodOneArg(renderer, line_names[N_FILE], file);
                pieces[1] = text == NULL ? NULL : formatted(text);
                Py_XDECREF(text);
                pieces[2] = Py_NewRef(line_names[N_LINE_TEXT]);
                middle = joined_pieces(pieces, 3);
                if (middle == NULL) {
                    Py_DECREF(head);
                    goto failed;
                }
            }
            text = PyObject_CallMethodOneArg(renderer, line_names[N_OBJECT], ref);
            pieces[0] = Py_NewRef(line_names[N_OBJECT_TEXT]);
            pieces[1] = text == NULL ? NULL : formatted(text);
            Py_XDECREF(text);
            pieces[2] = Py_NewRef(line_names[N_CLOSE]);
            PyObject *tail = joined_pieces(pieces, 3);
            if (tail == NULL) {
                Py_DECREF(middle);
                Py_DECREF(head);
                goto failed;
            }
            PyObject *made = PyTuple_Pack(4, ref, file, middle, tail);
            Py_DECREF(middle);
            Py_DECREF(tail);
            if (made == NULL) {
                Py_DECREF(head);
                goto failed;
            }
            Py_SETREF(last, made);
            last_changed = 1;
        }
        PyObject *said = PyDict_GetItemWithError(messages, v[2]);
        if (said == Py_None) /* (as .get(): None is not there) */
            said = NULL;
        if (said != NULL) {
            Py_INCREF(said);
        }
        else if (!PyErr_Occurred()) {
            said = plain_message(messages, v[2], kept);
            if (said == Py_None) {
                Py_DECREF(said);
                said = PyObject_CallMethodOneArg(renderer, line_names[N_MESSAGE], v[2]);
            }
        }
        if (said == NULL) {
            Py_DECREF(head);
            goto failed;
        }
        PyObject *where = PyDict_GetItemWithError(paths, v[5]);
        if (where == Py_None)
            where = NULL;
        if (where != NULL) {
            Py_INCREF(where);
        }
        else if (!PyErr_Occurred()) {
            /* (_path's JSON of a path that JSON writes as it is, nearly every pointer: made
             * here as a plain message's, kept in paths as _path keeps it) */
            where = plain_message(paths, v[5], kept);
            if (where == Py_None) {
                Py_DECREF(where);
                where = PyObject_CallMethodOneArg(renderer, line_names[N_PATH], v[5]);
            }
        }
        if (where == NULL) {
            Py_DECREF(said);
            Py_DECREF(head);
            goto failed;
        }
        /* a number's text is str(number): its digits, written into the line, where it fits a
         * long long (its own text where it does not) */
        char digits[4][24];
        LinePiece pieces[13] = {{NULL, NULL, 0}};
        pieces[0].text = formatted(PyTuple_GET_ITEM(head, 1));
        pieces[1].text = formatted(said);
        pieces[2].text = formatted(PyTuple_GET_ITEM(last, 2));
        for (int k = 0; k < 4; k++) {
            int overflow;
            long long value = PyLong_AsLongLongAndOverflow(n[k], &overflow);
            if (overflow != 0)
                pieces[3 + 2 * k].text = formatted(n[k]);
            else if (value != -1 || !PyErr_Occurred()) {
                pieces[3 + 2 * k].digits = digits[k];
                pieces[3 + 2 * k].size = write_decimal(digits[k], value);
            }
            pieces[4 + 2 * k].text = Py_NewRef(line_literals[k]);
        }
        pieces[11].text = formatted(where);
        pieces[12].text = formatted(PyTuple_GET_ITEM(last, 3));
        Py_DECREF(where);
        Py_DECREF(said);
        Py_DECREF(head);
        if (PyErr_Occurred()) {
            for (int k = 0; k < 13; k++)
                Py_XDECREF(pieces[k].text);
            goto failed;
        }
        line = joined_line(pieces, 13);
        if (line == NULL) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_IndexError, "json_lines: a number's text");
            goto failed;
        }
        int appended = PyList_Append(written, line);
        Py_DECREF(line);
        if (appended < 0)
            goto failed;
    }
    Py_CLEAR(held);
    if (last_changed && PyObject_SetAttr(renderer, line_names[N_LAST], last) < 0)
        goto failed;
    Py_DECREF(seq);
    Py_DECREF(heads);
    Py_DECREF(messages);
    Py_DECREF(paths);
    Py_DECREF(last);
    return written;
failed:
    if (last_changed && last != NULL) {
        PyObject *type_, *value, *traceback;
        PyErr_Fetch(&type_, &value, &traceback);
        if (PyObject_SetAttr(renderer, line_names[N_LAST], last) < 0)
            PyErr_Clear();
        PyErr_Restore(type_, value, traceback);
    }
    Py_XDECREF(held);
    Py_DECREF(seq);
    Py_XDECREF(heads);
    Py_XDECREF(messages);
    Py_XDECREF(paths);
    Py_XDECREF(last);
    Py_XDECREF(written);
    return NULL;
}

/* sort_key_class(slots, general) and sort_key(diag): kpolicy.model.SORT_KEY
 * (attrgetter("file", "span.line", "span.column", "rule", "message")) of a Diagnostic read
 * from its slots (slots: kpolicy.records.record_slots(Diagnostic); a Span of span_class's),
 * and general(diag) of anything else or a slot unset: the same tuple, without seven attribute
 * lookups a finding (each finding's key is made where a worker sorts an object's findings). */
static PyTypeObject *key_type = NULL;
static Py_ssize_t key_at[6]; /* file, span, rule, message, and the span's line and column */
static PyObject *key_general = NULL;
static PyTypeObject *key_span_type = NULL; /* (the span class when the offsets were read) */

static PyObject *
sort_key_class(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 2 || !PyTuple_CheckExact(args[0]) || PyTuple_GET_SIZE(args[0]) < 6 ||
        !PyCallable_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, "sort_key_class takes Diagnostic's slots and a key");
        return NULL;
    }
    if (span_type == NULL)
        Py_RETURN_FALSE;
    PyObject *slots = args[0];
    PyObject *first = PyTuple_GET_ITEM(slots, 0);
    if (!Py_IS_TYPE(first, &PyMemberDescr_Type))
        Py_RETURN_FALSE;
    PyTypeObject *type = PyDescr_TYPE(first);
    static const int fields[4] = {3, 4, 0, 2}; /* file, span, rule, message */
    Py_ssize_t at[4];
    for (int i = 0; i < 4; i++) {
        at[i] = object_slot(PyTuple_GET_ITEM(slots, fields[i]), type);
        if (at[i] < 0)
            Py_RETURN_FALSE;
    }
    Py_ssize_t line_at = object_slot(span_slots[0], span_type);
    Py_ssize_t column_at = object_slot(span_slots[1], span_type);
    if (line_at < 0 || column_at < 0)
        Py_RETURN_FALSE;
    for (int i = 0; i < 4; i++)
        key_at[i] = at[i];
    key_at[4] = line_at;
    key_at[5] = column_at;
    Py_INCREF(type);
    Py_XSETREF(key_type, type);
    Py_INCREF(span_type);
    Py_XSETREF(key_span_type, span_type);
    Py_XSETREF(key_general, Py_NewRef(args[1]));
    Py_RETURN_TRUE;
}

static PyObject *
sort_key(PyObject *module, PyObject *diag)
{
    (void)module;
    if (key_type == NULL || key_general == NULL) {
        PyErr_SetString(PyExc_TypeError, "sort_key: no class");
        return NULL;
    }
    if (Py_TYPE(diag) == key_type) {
        PyObject *file = SLOT_AT(diag, key_at[0]), *span = SLOT_AT(diag, key_at[1]);
        PyObject *rule = SLOT_AT(diag, key_at[2]), *message = SLOT_AT(diag, key_at[3]);
        if (file != NULL && span != NULL && rule != NULL && message != NULL &&
            Py_TYPE(span) == key_span_type) {
            PyObject *line = SLOT_AT(span, key_at[4]);
            PyObject *column = SLOT_AT(span, key_at[5]);
            if (line != NULL && column != NULL)
                return PyTuple_Pack(5, file, line, column, rule, message);
        }
    }
    return PyObject_CallOneArg(key_general, diag);
}

/* path_pointer(path): kpolicy.model._pointer(path) of a tuple whose tokens are each a str
 * without "~" or "/" (nothing to escape) or an int (not a bool) within a long long: "/" and the
 * token's text, for each token; None for any other (the Python function writes it). A
 * finding's pointer is made of its path where no memo has it: the format of "/%s" a token
 * and the scans for what to escape cost ~3,000 instructions a path in Python. */
static PyObject *
path_pointer(PyObject *module, PyObject *path)
{
    (void)module;
    if (!PyTuple_CheckExact(path))
        Py_RETURN_NONE;
    Py_ssize_t count = PyTuple_GET_SIZE(path), length = 0;
    Py_UCS4 widest = 0;
    char digits[24];
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *token = PyTuple_GET_ITEM(path, i);
        if (PyUnicode_CheckExact(token)) {
            Py_ssize_t size = PyUnicode_GET_LENGTH(token);
            if (PyUnicode_FindChar(token, '~', 0, size, 1) != -1 ||
                PyUnicode_FindChar(token, '/', 0, size, 1) != -1)
                Py_RETURN_NONE; /* (-2, an error, is not raised by an exact str) */
            Py_UCS4 most = PyUnicode_MAX_CHAR_VALUE(token);
            if (most > widest)
                widest = most;
            length += 1 + size;
        }
        else if (PyLong_CheckExact(token)) {
            int overflow;
            long long value = PyLong_AsLongLongAndOverflow(token, &overflow);
            if (overflow != 0)
                Py_RETURN_NONE;
            length += 1 + write_decimal(digits, value);
        }
        else
            Py_RETURN_NONE;
    }
    PyObject *made = PyUnicode_New(length, widest);
    if (made == NULL)
        return NULL;
    int kind = PyUnicode_KIND(made);
    void *data = PyUnicode_DATA(made);
    Py_ssize_t at = 0;
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *token = PyTuple_GET_ITEM(path, i);
        PyUnicode_WRITE(kind, data, at++, '/');
        if (PyUnicode_CheckExact(token)) {
            Py_ssize_t size = PyUnicode_GET_LENGTH(token);
            if (kind == PyUnicode_1BYTE_KIND)
                memcpy((Py_UCS1 *)data + at, PyUnicode_1BYTE_DATA(token), size);
            else if (PyUnicode_CopyCharacters(made, at, token, 0, size) < 0) {
                Py_DECREF(made);
                return NULL;
            }
            at += size;
        }
        else {
            int overflow;
            int size = write_decimal(digits, PyLong_AsLongLongAndOverflow(token, &overflow));
            for (int j = 0; j < size; j++)
                PyUnicode_WRITE(kind, data, at + j, (Py_UCS4)(unsigned char)digits[j]);
            at += size;
        }
    }
    return made;
}

/* sort_findings(found): found.sort(key=SORT_KEY) of a list of Diagnostics of the usual types
 * (sort_key's class, each of file, rule and message a str, its span a Span whose line and
 * column are ints within a C long), in place, without a key tuple each: their fields compared
 * in C (str by code points, as Python compares them; ints as numbers), equal keys kept in
 * their order (the position breaks the tie, as the sort is stable). True when sorted; False,
 * the list untouched, when a finding is not of those types (the caller sorts it by the key).
 * No Python code runs between reading the list and writing it back. */
typedef struct {
    PyObject *diag, *file, *rule, *message;
    long line, column;
    Py_ssize_t index;
} SortItem;

static int
text_order(PyObject *a, PyObject *b)
{
    /* (exact str: PyUnicode_Compare cannot fail) */
    return a == b ? 0 : PyUnicode_Compare(a, b);
}

static int
finding_order(const void *left, const void *right)
{
    const SortItem *x = left, *y = right;
    int order = text_order(x->file, y->file);
    if (order != 0)
        return order;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    if (x->column != y->column)
        return x->column < y->column ? -1 : 1;
    if ((order = text_order(x->rule, y->rule)) != 0)
        return order;
    if ((order = text_order(x->message, y->message)) != 0)
        return order;
    return x->index < y->index ? -1 : x->index > y->index;
}

static PyObject *
sort_findings(PyObject *module, PyObject *found)
{
    (void)module;
    if (key_type == NULL || key_span_type == NULL) {
        PyErr_SetString(PyExc_TypeError, "sort_findings: no class");
        return NULL;
    }
    if (!PyList_CheckExact(found)) {
        PyErr_SetString(PyExc_TypeError, "sort_findings: a list");
        return NULL;
    }
    Py_ssize_t count = PyList_GET_SIZE(found);
    if (count < 2)
        Py_RETURN_TRUE;
    SortItem *items = PyMem_New(SortItem, count);
    if (items == NULL)
        return PyErr_NoMemory();
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *diag = PyList_GET_ITEM(found, i);
        if (Py_TYPE(diag) != key_type)
            goto declined;
        PyObject *file = SLOT_AT(diag, key_at[0]), *span = SLOT_AT(diag, key_at[1]);
        PyObject *rule = SLOT_AT(diag, key_at[2]), *message = SLOT_AT(diag, key_at[3]);
        if (file == NULL || span == NULL || rule == NULL || message == NULL ||
            !PyUnicode_CheckExact(file) || !PyUnicode_CheckExact(rule) ||
            !PyUnicode_CheckExact(message) || Py_TYPE(span) != key_span_type)
            goto declined;
        PyObject *line = SLOT_AT(span, key_at[4]), *column = SLOT_AT(span, key_at[5]);
        if (line == NULL || column == NULL || !PyLong_CheckExact(line) ||
            !PyLong_CheckExact(column))
            goto declined;
        int overflow_line, overflow_column;
        long line_value = PyLong_AsLongAndOverflow(line, &overflow_line);
        long column_value = PyLong_AsLongAndOverflow(column, &overflow_column);
        if (overflow_line || overflow_column)
            goto declined;
        items[i] = (SortItem){diag, file, rule, message, line_value, column_value, i};
    }
    qsort(items, (size_t)count, sizeof(SortItem), finding_order);
    /* the same objects, each once: the list's references move with them */
    for (Py_ssize_t i = 0; i < count; i++)
        PyList_SET_ITEM(found, i, items[i].diag);
    PyMem_Free(items);
    Py_RETURN_TRUE;
declined:
    PyMem_Free(items);
    Py_RETURN_FALSE;
}

/* generic_duplicates(found, generic): kpolicy.lint.post.drop_generic_duplicates of a list of
 * two findings or more of the usual types (sort_key's class, each rule a str, its span a Span
 * whose line and column are ints within a long long; generic a set or frozenset): found
 * itself when no finding's rule is outside generic, else a new list of the findings but those
 * of a rule of generic at the line and column of one that is not. None, when a finding is not
 * of those types (the caller's Python loop decides). No Python code runs in it (the rules are
 * str: their hashes and equality are the str type's). */
typedef struct {
    long long line, column;
} Place;

static int
place_order(const void *left, const void *right)
{
    const Place *x = left, *y = right;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    return x->column < y->column ? -1 : x->column > y->column;
}

static PyObject *
generic_duplicates(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 2 || !PyList_CheckExact(args[0])) {
        PyErr_SetString(PyExc_TypeError, "generic_duplicates takes a list and a set");
        return NULL;
    }
    if (key_type == NULL || key_span_type == NULL) {
        PyErr_SetString(PyExc_TypeError, "generic_duplicates: no class");
        return NULL;
    }
    PyObject *found = args[0], *generic = args[1];
    if (!PyAnySet_CheckExact(generic))
        Py_RETURN_NONE;
    Py_ssize_t count = PyList_GET_SIZE(found);
    if (count < 2)
        return Py_NewRef(found);
    Place *places = PyMem_New(Place, count);    /* each finding's line and column */
    char *is_generic = PyMem_Malloc((size_t)count);
    Place *specific = PyMem_New(Place, count);  /* those of the specific findings */
    PyObject *result = NULL;
    if (places == NULL || is_generic == NULL || specific == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    Py_ssize_t specifics = 0;
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *diag = PyList_GET_ITEM(found, i);
        if (Py_TYPE(diag) != key_type)
            goto declined;
        PyObject *span = SLOT_AT(diag, key_at[1]), *rule = SLOT_AT(diag, key_at[2]);
        if (span == NULL || rule == NULL || !PyUnicode_CheckExact(rule) ||
            Py_TYPE(span) != key_span_type)
            goto declined;
        PyObject *line = SLOT_AT(span, key_at[4]), *column = SLOT_AT(span, key_at[5]);
        if (line == NULL || column == NULL || !PyLong_CheckExact(line) ||
            !PyLong_CheckExact(column))
            goto declined;
        int overflow_line, overflow_column;
        places[i].line = PyLong_AsLongLongAndOverflow(line, &overflow_line);
        places[i].column = PyLong_AsLongLongAndOverflow(column, &overflow_column);
        if (overflow_line || overflow_column)
            goto declined;
        int contained = PySet_Contains(generic, rule);
        if (contained < 0)
            goto done;
        is_generic[i] = (char)contained;
        if (!contained)
            specific[specifics++] = places[i];
    }
    if (specifics == 0) {
        result = Py_NewRef(found);
        goto done;
    }
    qsort(specific, (size_t)specifics, sizeof(Place), place_order);
    result = PyList_New(0);
    if (result == NULL)
        goto done;
    for (Py_ssize_t i = 0; i < count; i++) {
        if (is_generic[i] &&
            bsearch(&places[i], specific, (size_t)specifics, sizeof(Place), place_order) != NULL)
            continue;
        if (PyList_Append(result, PyList_GET_ITEM(found, i)) < 0) {
            Py_CLEAR(result);
            goto done;
        }
    }
    goto done;
declined:
    result = Py_NewRef(Py_None);
done:
    PyMem_Free(places);
    PyMem_Free(is_generic);
    PyMem_Free(specific);
    return result;
}

/* ---------------------------------------------------------------------------------------
 * The per-folder work of a cached run's two walks, most of its time above the interpreter's
 * start: kpolicy.cache._tree_stamp's (stamp_folder) and kpolicy.discover._walk's common case
 * (list_folder). Python keeps every rule, and its own code stays the fallback (without the
 * extension, with KPOLICY_PURE_PYTHON, on another system); tests/test_cload_walk.py holds
 * the two to the same results on generated trees. Linux only (st_mtim, d_type). */
#ifdef __linux__
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#define NS_PER_S 1000000000LL

/* A time as os.stat_result's *_ns: seconds * 10**9 + nanoseconds (exact past 64 bits too). */
static PyObject *
time_ns(const struct timespec *when)
{
    long long ns;
    if (!__builtin_mul_overflow((long long)when->tv_sec, NS_PER_S, &ns) &&
        !__builtin_add_overflow(ns, (long long)when->tv_nsec, &ns))
        return PyLong_FromLongLong(ns);
    PyObject *seconds = PyLong_FromLongLong((long long)when->tv_sec);
    PyObject *factor = PyLong_FromLongLong(NS_PER_S);
    PyObject *nanos = PyLong_FromLong((long)when->tv_nsec);
    PyObject *scaled = NULL, *result = NULL;
    if (seconds != NULL && factor != NULL && nanos != NULL)
        scaled = PyNumber_Multiply(seconds, factor);
    if (scaled != NULL)
        result = PyNumber_Add(scaled, nanos);
    Py_XDECREF(seconds);
    Py_XDECREF(factor);
    Py_XDECREF(nanos);
    Py_XDECREF(scaled);
    return result;
}

/* (st_dev, st_ino) as os.stat_result has them (posixmodule.c: the device as a long long, the
 * inode as an unsigned long long) */
static PyObject *
identity_of(const struct stat *status)
{
    return Py_BuildValue("(LK)", (long long)status->st_dev,
                         (unsigned long long)status->st_ino);
}

/* Whether str starts with the ASCII text prefix. */
static int
starts_with(PyObject *text, const char *prefix)
{
    Py_ssize_t length = PyUnicode_GET_LENGTH(text);
    for (Py_ssize_t i = 0; prefix[i] != '\0'; i++)
        if (i >= length || PyUnicode_READ_CHAR(text, i) != (Py_UCS4)(unsigned char)prefix[i])
            return 0;
    return 1;
}

/* A folder opened for listing (as os.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) and
 * os.scandir open it), or NULL with errno set; the path's NUL raises ValueError (*raised). */
static DIR *
open_folder(PyObject *path, int *raised)
{
    PyObject *encoded = NULL;
    *raised = 0;
    if (!PyUnicode_FSConverter(path, &encoded)) {
        *raised = 1;
        return NULL;
    }
    int fd = open(PyBytes_AS_STRING(encoded), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    Py_DECREF(encoded);
    if (fd < 0)
        return NULL;
    DIR *listing = fdopendir(fd);
    if (listing == NULL) {
        int error = errno;
        close(fd);
        errno = error;
    }
    return listing;
}

/* A folder's next entry other than . and .. (os.scandir leaves them out), or NULL at its end
 * (*failed when readdir failed). */
static struct dirent *
next_entry(DIR *listing, int *failed)
{
    for (;;) {
        errno = 0;
        struct dirent *entry = readdir(listing);
        if (entry == NULL) {
            *failed = errno != 0;
            return NULL;
        }
        const char *name = entry->d_name;
        if (name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0')))
            continue;
        return entry;
    }
}

/* Whether an entry is a folder as os.DirEntry.is_dir() judges it: by the listing's type, a
 * link or an unknown type by its status through links (then in *status, and *stated set).
 * 1, 0, or -1 when that status fails (where is_dir() says no or raises). */
static int
entry_is_dir(int fd, const struct dirent *entry, struct stat *status, int *stated)
{
    *stated = 0;
    if (entry->d_type == DT_DIR)
        return 1;
    if (entry->d_type != DT_LNK && entry->d_type != DT_UNKNOWN)
        return 0;
    if (fstatat(fd, entry->d_name, status, 0) != 0)
        return -1;
    *stated = 1;
    return S_ISDIR(status->st_mode) ? 1 : 0;
}

/* Appends a new reference to list (and drops it); -1 on failure. */
static int
append_new(PyObject *list, PyObject *item)
{
    if (item == NULL)
        return -1;
    int appended = PyList_Append(list, item);
    Py_DECREF(item);
    return appended;
}

/* A file's line of the stamp, "path|size|mtime_ns\n" (path: prefix and name): written out
 * for ASCII names and a time within 64 bits (PyUnicode_FromFormat, or snprintf, costs more than
 * the rest of a file's work), else by PyUnicode_FromFormat. */
static PyObject *
stamp_line(PyObject *prefix, PyObject *name, const struct stat *status)
{
    long long ns;
    char tail[64];
    int written = -1;
    if (!__builtin_mul_overflow((long long)status->st_mtim.tv_sec, NS_PER_S, &ns) &&
        !__builtin_add_overflow(ns, (long long)status->st_mtim.tv_nsec, &ns)) {
        /* "|size|mtime_ns\n": at most 3 + 2 * 20 characters */
        written = 0;
        tail[written++] = '|';
        written += write_decimal(tail + written, (long long)status->st_size);
        tail[written++] = '|';
        written += write_decimal(tail + written, ns);
        tail[written++] = '\n';
    }
    if (written > 0 && (size_t)written < sizeof tail && PyUnicode_IS_ASCII(prefix) &&
        PyUnicode_IS_ASCII(name)) {
        Py_ssize_t head = PyUnicode_GET_LENGTH(prefix), part = PyUnicode_GET_LENGTH(name);
        if (head <= PY_SSIZE_T_MAX - part - written) {
            PyObject *line = PyUnicode_New(head + part + written, 127);
            if (line == NULL)
                return NULL;
            char *out = (char *)PyUnicode_DATA(line);
            memcpy(out, PyUnicode_DATA(prefix), (size_t)head);
            memcpy(out + head, PyUnicode_DATA(name), (size_t)part);
            memcpy(out + head + part, tail, (size_t)written);
            return line;
        }
    }
    PyObject *mtime = time_ns(&status->st_mtim);
    if (mtime == NULL)
        return NULL;
    PyObject *line = PyUnicode_FromFormat("%U%U|%lld|%S\n", prefix, name,
                                          (long long)status->st_size, mtime);
    Py_DECREF(mtime);
    return line;
}

/* stamp_folder(folder, visited, pending, lines) -> None: one folder of
 * kpolicy.cache._tree_stamp (its code where os.open and a descriptor's os.scandir exist).
 * The folder opened once; left alone when it cannot be opened or read, or when its
 * (st_dev, st_ino) is in visited (else added). Each entry but __pycache__ and .tmp-*, in the
 * listing's order: a folder (is_dir()) appended to pending as its path (folder + "/" + name,
 * no second slash), anything else by its status through links relative to the folder to
 * lines as "path|size|mtime_ns\n"; an entry whose status fails is left out, and a listing
 * that fails ends the folder with what it gave. */
static PyObject *
stamp_folder(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 4 || !PyUnicode_Check(args[0]) || !PySet_Check(args[1]) ||
        !PyList_Check(args[2]) || !PyList_Check(args[3])) {
        PyErr_SetString(PyExc_TypeError, "stamp_folder(folder, visited, pending, lines)");
        return NULL;
    }
    PyObject *folder = args[0], *visited = args[1], *pending = args[2], *lines = args[3];
    int raised;
    DIR *listing = open_folder(folder, &raised);
    if (listing == NULL) {
        if (raised)
            return NULL;
        Py_RETURN_NONE;
    }
    int fd = dirfd(listing);
    struct stat status;
    if (fd < 0 || fstat(fd, &status) != 0) {
        closedir(listing);
        Py_RETURN_NONE;
    }
    PyObject *identity = identity_of(&status);
    if (identity == NULL) {
        closedir(listing);
        return NULL;
    }
    int known = PySet_Contains(visited, identity);
    if (known == 0)
        known = PySet_Add(visited, identity) < 0 ? -1 : 0;
    Py_DECREF(identity);
    if (known != 0) {
        closedir(listing);
        if (known < 0)
            return NULL;
        Py_RETURN_NONE;
    }
    Py_ssize_t length = PyUnicode_GET_LENGTH(folder);
    PyObject *prefix = length > 0 && PyUnicode_READ_CHAR(folder, length - 1) == '/'
                           ? Py_NewRef(folder)
                           : PyUnicode_FromFormat("%U/", folder);
    if (prefix == NULL) {
        closedir(listing);
        return NULL;
    }
    PyObject *result = NULL;
    struct dirent *entry;
    int failed = 0;
    while ((entry = next_entry(listing, &failed)) != NULL) {
        PyObject *name = PyUnicode_DecodeFSDefault(entry->d_name);
        if (name == NULL)
            goto done;
        if (PyUnicode_CompareWithASCIIString(name, "__pycache__") == 0 ||
            starts_with(name, ".tmp-")) {
            Py_DECREF(name);
            continue;
        }
        int stated;
        int is_dir = entry_is_dir(fd, entry, &status, &stated);
        if (is_dir < 0 || (!is_dir && !stated && fstatat(fd, entry->d_name, &status, 0) != 0)) {
            Py_DECREF(name);
            continue;
        }
        PyObject *line;
        if (is_dir) {
            line = PyUnicode_Concat(prefix, name);
            Py_DECREF(name);
            if (append_new(pending, line) < 0)
                goto done;
            continue;
        }
        line = stamp_line(prefix, name, &status);
        Py_DECREF(name);
        if (append_new(lines, line) < 0)
            goto done;
    }
    (void)failed; /* as the Python loop: what the listing gave is kept */
    result = Py_NewRef(Py_None);
done:
    Py_DECREF(prefix);
    closedir(listing);
    return result;
}

/* (st_size, st_mtime_ns, st_ctime_ns, st_ino, st_dev) of a status, as
 * kpolicy.discover.signature makes it of os.stat_result's numbers (without Py_BuildValue's
 * parsing of a format). */
static PyObject *
signature_of(const struct stat *status)
{
    PyObject *signature = PyTuple_New(5);
    if (signature == NULL)
        return NULL;
    for (Py_ssize_t i = 0; i < 5; i++) {
        PyObject *item = i == 0   ? PyLong_FromLongLong((long long)status->st_size)
                         : i == 1 ? time_ns(&status->st_mtim)
                         : i == 2 ? time_ns(&status->st_ctim)
                         : i == 3 ? PyLong_FromUnsignedLongLong((unsigned long long)status->st_ino)
                                  : PyLong_FromLongLong((long long)status->st_dev);
        if (item == NULL) {
            Py_DECREF(signature); /* its slots not yet set are NULL */
            return NULL;
        }
        PyTuple_SET_ITEM(signature, i, item);
    }
    return signature;
}

/* list_folder(folder, suffixes) -> (folders, files, signatures) or None: one folder's listing
 * as kpolicy.discover._walk takes it, in the listing's order: the names of its sub-folders
 * (is_dir(); an entry whose status fails is not one), the names of its other entries that end
 * with one of suffixes and do not start with a dot (the only ones the walk looks at), and for
 * each of those that is a regular file with an inode, by its status without following a link
 * (lstat relative to the folder), name -> (st_size, st_mtime_ns, st_ctime_ns, st_ino, st_dev)
 * as kpolicy.discover.signature makes it. None when the folder cannot be opened or read: the
 * caller lists it itself, to report the error as os.scandir raises it; None too for a folder
 * whose entries' paths could pass PATH_MAX (Python's statuses by path fail there). */
static PyObject *
list_folder(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 2 || !PyUnicode_Check(args[0]) || !PyTuple_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, "list_folder(folder, suffixes)");
        return NULL;
    }
    PyObject *folder = args[0], *suffixes = args[1];
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(suffixes); i++)
        if (!PyUnicode_Check(PyTuple_GET_ITEM(suffixes, i))) {
            PyErr_SetString(PyExc_TypeError, "list_folder: suffixes must be str");
            return NULL;
        }
    /* os.scandir's entry.path (the folder, a slash, the name), by which Python takes an
     * entry's status through its link: the kernel counts the links of the whole path (40 at
     * most) and refuses one of PATH_MAX bytes, where a status relative to the folder would
     * not. A folder whose entries' paths could be that long is left to Python (None). */
    char path[PATH_MAX];
    PyObject *encoded = NULL;
    if (!PyUnicode_FSConverter(folder, &encoded))
        return NULL;
    Py_ssize_t head = PyBytes_GET_SIZE(encoded);
    if (head + 1 + NAME_MAX >= PATH_MAX) {
        Py_DECREF(encoded);
        Py_RETURN_NONE;
    }
    memcpy(path, PyBytes_AS_STRING(encoded), (size_t)head);
    Py_DECREF(encoded);
    if (head > 0 && path[head - 1] != '/')
        path[head++] = '/';
    int raised;
    DIR *listing = open_folder(folder, &raised);
    if (listing == NULL) {
        if (raised)
            return NULL;
        Py_RETURN_NONE;
    }
    int fd = dirfd(listing);
    PyObject *folders = PyList_New(0), *files = PyList_New(0), *signatures = PyDict_New();
    PyObject *result = NULL;
    if (fd < 0 || folders == NULL || files == NULL || signatures == NULL)
        goto done;
    struct dirent *entry;
    int failed = 0;
    while ((entry = next_entry(listing, &failed)) != NULL) {
        PyObject *name = PyUnicode_DecodeFSDefault(entry->d_name);
        if (name == NULL)
            goto done;
        struct stat status;
        /* is_dir() as os.scandir(folder)'s entry judges it: a link or an unknown type by
         * the status of its path (head + NAME_MAX + 1 < PATH_MAX: it fits) */
        int is_dir = entry->d_type == DT_DIR;
        if (entry->d_type == DT_LNK || entry->d_type == DT_UNKNOWN) {
            strcpy(path + head, entry->d_name);
            is_dir = stat(path, &status) == 0 && S_ISDIR(status.st_mode);
        }
        if (is_dir) {
            if (append_new(folders, name) < 0)
                goto done;
            continue;
        }
        /* what the walk looks at: a name with one of the suffixes, not hidden */
        int wanted = 0;
        if (PyUnicode_GET_LENGTH(name) > 0 && PyUnicode_READ_CHAR(name, 0) != '.') {
            for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(suffixes) && !wanted; i++) {
                Py_ssize_t match = PyUnicode_Tailmatch(name, PyTuple_GET_ITEM(suffixes, i), 0,
                                                       PY_SSIZE_T_MAX, 1);
                if (match < 0) {
                    Py_DECREF(name);
                    goto done;
                }
                wanted = match > 0;
            }
        }
        if (!wanted) {
            Py_DECREF(name);
            continue;
        }
        if (PyList_Append(files, name) < 0) {
            Py_DECREF(name);
            goto done;
        }
        if (fstatat(fd, entry->d_name, &status, AT_SYMLINK_NOFOLLOW) == 0 &&
            S_ISREG(status.st_mode) && status.st_ino != 0) {
            PyObject *signature = signature_of(&status);
            int stored = signature == NULL ? -1 : PyDict_SetItem(signatures, name, signature);
            Py_XDECREF(signature);
            if (stored < 0) {
                Py_DECREF(name);
                goto done;
            }
        }
        Py_DECREF(name);
    }
    if (failed)
        goto done; /* None: the caller lists it again and reports what os.scandir raises */
    result = PyTuple_Pack(3, folders, files, signatures);
done:
    Py_XDECREF(folders);
    Py_XDECREF(files);
    Py_XDECREF(signatures);
    closedir(listing);
    if (result == NULL && !PyErr_Occurred())
        result = Py_NewRef(Py_None);
    return result;
}
#endif /* __linux__ */

static PyMethodDef methods[] = {
    {"document_chunks", (PyCFunction)document_chunks, METH_O,
     "document_chunks(text) -> iterator of (line_offset, chunk), or None for a text of wider "
     "characters"},
    {"node_bound", (PyCFunction)node_bound, METH_O, "node_bound(chunk) -> int"},
    {"load_chunk", (PyCFunction)(void (*)(void))load_chunk, METH_FASTCALL,
     "load_chunk(chunk, line_offset, max_nodes, max_depth, int_of, float_of) -> "
     "list of (value, records) or None"},
    {"present_of", (PyCFunction)(void (*)(void))present_of, METH_FASTCALL,
     "present_of(instance, subs, sub_of, shallow, sizes, child) -> (present, unknown)"},
    {"explain_children", (PyCFunction)(void (*)(void))explain_children, METH_FASTCALL,
     "explain_children(instance, run, leaf, known, path, sizes, child, out) -> None"},
    {"closed_node", (PyCFunction)(void (*)(void))closed_node, METH_FASTCALL,
     "closed_node(data, instance, path, record, out) -> None"},
    {"any_type", (PyCFunction)(void (*)(void))any_type, METH_FASTCALL,
     "any_type(data, instance, path, record, out) -> None"},
    {"typed_one", (PyCFunction)(void (*)(void))typed_one, METH_FASTCALL,
     "typed_one(data, instance, path, record, out) -> None"},
    {"string_enum", (PyCFunction)(void (*)(void))string_enum, METH_FASTCALL,
     "string_enum(data, instance, path, record, out) -> None"},
    {"format_step", (PyCFunction)(void (*)(void))format_step, METH_FASTCALL,
     "format_step(data, instance, path, record, out) -> None"},
    {"children_step", (PyCFunction)(void (*)(void))children_step, METH_FASTCALL,
     "children_step(data, instance, path, record, out) -> None"},
    {"fast_object", (PyCFunction)(void (*)(void))fast_object, METH_FASTCALL,
     "fast_object(data, value) -> whether the value passes"},
    {"fast_array", (PyCFunction)(void (*)(void))fast_array, METH_FASTCALL,
     "fast_array(data, value) -> whether the value passes"},
    {"explain_present", (PyCFunction)(void (*)(void))explain_present, METH_FASTCALL,
     "explain_present(instance, subs, sub_of, shallow, sizes, child, path, out) -> unknown"},
    {"new_record", (PyCFunction)(void (*)(void))new_record, METH_FASTCALL,
     "new_record(slots, *values) -> an instance of their class"},
    {"flat_findings", (PyCFunction)(void (*)(void))flat_findings, METH_FASTCALL,
     "flat_findings(flat, ref, span_slots, diagnostic_slots) -> list of the findings"},
    {"finding_fields", (PyCFunction)(void (*)(void))finding_fields, METH_FASTCALL,
     "finding_fields(found, ref, span_slots, diagnostic_slots) -> what a worker sends, or None"},
    {"schema_diagnostics", (PyCFunction)(void (*)(void))schema_diagnostics, METH_FASTCALL,
     "schema_diagnostics(fields, span_of, fix_of, reports, pointers, keep_pointer, to_pointer, "
     "span_at, slots, file, ref, rejecting, found) -> None"},
    {"path_walk", (PyCFunction)(void (*)(void))path_walk, METH_FASTCALL,
     "path_walk(records, node, index, path, scanned) -> (index, depth), None or False"},
    {"json_lines", (PyCFunction)(void (*)(void))json_lines, METH_FASTCALL,
     "json_lines(diags, renderer, slots, kept) -> the findings' lines of the JSON report"},
    {"sort_key_class", (PyCFunction)(void (*)(void))sort_key_class, METH_FASTCALL,
     "sort_key_class(slots, general) -> whether sort_key reads Diagnostics"},
    {"sort_key", (PyCFunction)sort_key, METH_O, "sort_key(diag) -> SORT_KEY(diag)"},
    {"generic_duplicates", (PyCFunction)(void (*)(void))generic_duplicates, METH_FASTCALL,
     "generic_duplicates(found, generic) -> drop_generic_duplicates(found, generic), or None"},
    {"path_pointer", (PyCFunction)path_pointer, METH_O,
     "path_pointer(path) -> model._pointer(path) of plain tokens, else None"},
    {"sort_findings", (PyCFunction)sort_findings, METH_O,
     "sort_findings(found) -> whether found was sorted by SORT_KEY in place"},
    {"span_class", (PyCFunction)span_class, METH_O, "span_class(Span) -> whether span_of makes it"},
    {"populate_arenas", populate_arenas, METH_NOARGS,
     "populate_arenas() -> whether the heap's arenas are now made populated (Linux)"},
    {"arenas_populated", arenas_populated, METH_NOARGS,
     "arenas_populated() -> whether they are"},
    {"hand_off_teardown", hand_off_teardown, METH_NOARGS,
     "hand_off_teardown() -> the pid of a helper that unmaps this process's memory once it ends, "
     "every other descriptor closed (call right before os._exit), or 0 (Linux; not under "
     "valgrind)"},
    {"span_of", (PyCFunction)(void (*)(void))span_of, METH_FASTCALL,
     "span_of(records, index, anchor) -> Span"},
#ifdef __linux__
    {"stamp_folder", (PyCFunction)(void (*)(void))stamp_folder, METH_FASTCALL,
     "stamp_folder(folder, visited, pending, lines) -> None"},
    {"list_folder", (PyCFunction)(void (*)(void))list_folder, METH_FASTCALL,
     "list_folder(folder, suffixes) -> (folders, files, signatures) or None"},
#endif
    {NULL, NULL, 0, NULL},
};

static int
module_exec(PyObject *module)
{
    /* the libyaml this module runs with (kpolicy.load uses it only from 0.2.5 on) */
    int major = 0, minor = 0, patch = 0;
    yaml_get_version(&major, &minor, &patch);
    PyObject *version = Py_BuildValue("(iii)", major, minor, patch);
    if (version == NULL)
        return -1;
    int added = PyModule_AddObjectRef(module, "LIBYAML_VERSION", version);
    Py_DECREF(version);
    if (added < 0)
        return -1;
    if (PyType_Ready(&ChunkIteratorType) < 0)
        return -1;
    return 0;
}

static PyModuleDef_Slot slots[] = {
    {Py_mod_exec, module_exec},
    {0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "kpolicy._cload", "kpolicy's one-pass YAML loader (libyaml events).",
    0, methods, slots, NULL, NULL, NULL,
};

PyMODINIT_FUNC
PyInit__cload(void)
{
    return PyModuleDef_Init(&module_def);
}
