/* Expat builds the tree; anything but elements, whitespace and comments is an error. */
#include <expat.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "diag.h"
#include "xml.h"

struct builder {
    XML_Parser parser;
    struct xml_node *root;
    struct xml_node *current;
    bool failed;
};

static void *xcalloc(size_t count, size_t size)
{
    void *p = calloc(count, size);
    if (p == NULL) {
        fprintf(stderr, "mksystem: out of memory\n");
        exit(2);
    }
    return p;
}

static char *xstrdup(const char *s)
{
    char *copy = xcalloc(strlen(s) + 1, 1);
    strcpy(copy, s);
    return copy;
}

static void on_start(void *data, const XML_Char *name, const XML_Char **attrs)
{
    struct builder *b = data;
    struct xml_node *node = xcalloc(1, sizeof(*node));
    node->name = xstrdup(name);
    node->line = (int)XML_GetCurrentLineNumber(b->parser);
    unsigned count = 0;
    while (attrs[2 * count] != NULL) {
        count++;
    }
    node->attrs = xcalloc(count + 1, sizeof(*node->attrs));
    node->attr_count = count;
    for (unsigned i = 0; i < count; i++) {
        node->attrs[i].name = xstrdup(attrs[2 * i]);
        node->attrs[i].value = xstrdup(attrs[2 * i + 1]);
    }
    node->parent = b->current;
    if (b->current == NULL) {
        b->root = node;
    } else {
        struct xml_node *p = b->current;
        p->children = realloc(p->children, (p->child_count + 1) * sizeof(*p->children));
        if (p->children == NULL) {
            fprintf(stderr, "mksystem: out of memory\n");
            exit(2);
        }
        p->children[p->child_count++] = node;
    }
    b->current = node;
}

static void on_end(void *data, const XML_Char *name)
{
    struct builder *b = data;
    (void)name;
    b->current = b->current->parent;
}

static void on_text(void *data, const XML_Char *text, int length)
{
    struct builder *b = data;
    for (int i = 0; i < length; i++) {
        if (text[i] != ' ' && text[i] != '\t' && text[i] != '\n' && text[i] != '\r') {
            diag_error((int)XML_GetCurrentLineNumber(b->parser), "unexpected text; the format has only elements "
                                                                 "and attributes");
            b->failed = true;
            XML_StopParser(b->parser, XML_FALSE);
            return;
        }
    }
}

struct xml_node *xml_parse_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        diag_error_plain("cannot open %s", path);
        return NULL;
    }
    struct builder b = {0};
    b.parser = XML_ParserCreate(NULL);
    XML_SetUserData(b.parser, &b);
    XML_SetElementHandler(b.parser, on_start, on_end);
    XML_SetCharacterDataHandler(b.parser, on_text);
    char buffer[8192];
    bool done = false;
    while (!done && !b.failed) {
        size_t n = fread(buffer, 1, sizeof(buffer), f);
        done = n < sizeof(buffer);
        if (XML_Parse(b.parser, buffer, (int)n, done) == XML_STATUS_ERROR) {
            if (!b.failed) {
                diag_error((int)XML_GetCurrentLineNumber(b.parser), "not well-formed XML: %s",
                           XML_ErrorString(XML_GetErrorCode(b.parser)));
            }
            b.failed = true;
        }
    }
    fclose(f);
    XML_ParserFree(b.parser);
    if (b.failed || b.root == NULL) {
        if (!b.failed) {
            diag_error(1, "no root element");
        }
        xml_free(b.root);
        return NULL;
    }
    return b.root;
}

void xml_free(struct xml_node *node)
{
    if (node == NULL) {
        return;
    }
    for (unsigned i = 0; i < node->child_count; i++) {
        xml_free(node->children[i]);
    }
    for (unsigned i = 0; i < node->attr_count; i++) {
        free(node->attrs[i].name);
        free(node->attrs[i].value);
    }
    free(node->children);
    free(node->attrs);
    free(node->name);
    free(node);
}

const char *xml_attr(const struct xml_node *node, const char *name)
{
    for (unsigned i = 0; i < node->attr_count; i++) {
        if (strcmp(node->attrs[i].name, name) == 0) {
            return node->attrs[i].value;
        }
    }
    return NULL;
}
