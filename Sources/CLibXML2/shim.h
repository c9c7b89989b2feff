#ifndef SEEK_CLIBXML2_SHIM_H
#define SEEK_CLIBXML2_SHIM_H

// Debian's libxml2 is built with ICU, whose headers clash with the ICU that Foundation brings into Swift.
// Seek never touches the ICU members of libxml2's structs (an encoding handler stays opaque here).
#include <libxml/xmlversion.h>
#undef LIBXML_ICU_ENABLED
#include <libxml/HTMLparser.h>
#include <libxml/tree.h>
#include <libxml/parser.h>
#include <libxml/encoding.h>
#include <string.h>

// An element's attribute by its lowercase name (the HTML parser lowercases attribute names); NULL if absent.
static inline xmlAttrPtr seek_find_attribute(xmlNodePtr node, const char *name) {
    for (xmlAttrPtr attribute = node->properties; attribute != NULL; attribute = attribute->next) {
        if (strcmp((const char *)attribute->name, name) == 0) return attribute;
    }
    return NULL;
}

// An attribute's value as the parser stores it (one text child) without copying; NULL when it is not stored
// that way (then read it with seek_text).
static inline const char *seek_attribute_text(xmlAttrPtr attribute) {
    xmlNodePtr value = attribute->children;
    if (value == NULL) return "";
    if (value->next == NULL && value->type == XML_TEXT_NODE && value->content != NULL) return (const char *)value->content;
    return NULL;
}

// The text of a node and its descendants, malloc'd (free with seek_free).
static inline char *seek_text(xmlNodePtr node) { return (char *)xmlNodeGetContent(node); }

static inline void seek_free(void *pointer) { xmlFree(pointer); }

// Whether libxml2 (through iconv) can decode `name`.
static inline int seek_knows_encoding(const char *name) {
    xmlCharEncodingHandlerPtr handler = xmlFindCharEncodingHandler(name);
    if (handler == NULL) return 0;
    xmlCharEncCloseFunc(handler);
    return 1;
}

#endif
