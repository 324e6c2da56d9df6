/* The .system file as a tree of elements with attributes and line numbers (parsed by expat). */
#pragma once

struct xml_attr {
    char *name;
    char *value;
};

struct xml_node {
    char *name;
    int line;
    struct xml_attr *attrs;
    unsigned attr_count;
    struct xml_node **children;
    unsigned child_count;
    struct xml_node *parent;
};

/* NULL (with diagnostics printed) if the file cannot be read or is not well-formed XML. */
struct xml_node *xml_parse_file(const char *path);
void xml_free(struct xml_node *node);
const char *xml_attr(const struct xml_node *node, const char *name);
