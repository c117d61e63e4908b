#ifndef TOYTCP_CREADLINE_SHIM_H
#define TOYTCP_CREADLINE_SHIM_H
#include <stdio.h>
#include <readline/readline.h>
#include <readline/history.h>
// readline's global variables are not concurrency-safe to touch from Swift 6 code:
// read and set them only through these inline functions.
#endif
