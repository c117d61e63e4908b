#ifndef TOYTCP_CREADLINE_SHIM_H
#define TOYTCP_CREADLINE_SHIM_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <unistd.h>
#include <readline/readline.h>
#include <readline/history.h>

// readline's global variables are not concurrency-safe to touch from Swift 6 code:
// read and set them only through these inline functions (all called from the main thread).

/// The whole line being edited (for context-sensitive completion).
static inline const char *toytcp_rl_line_buffer(void) { return rl_line_buffer; }

/// Installs the attempted-completion hook and turns off readline's fallback to file names
/// (the hook decides when file names are wanted).
static inline void toytcp_rl_set_completion(rl_completion_func_t *function) {
    rl_attempted_completion_function = function;
}

/// Called from inside the hook: no default completion after ours.
static inline void toytcp_rl_completion_over(void) { rl_attempted_completion_over = 1; }

/// Whether readline appends a space after a unique completion (off after `key=`).
static inline void toytcp_rl_set_append_character(int c) { rl_completion_append_character = c; }

/// The program name readline uses for ~/.inputrc conditionals.
static inline void toytcp_rl_set_name(const char *name) { rl_readline_name = name; }

/// Characters that separate words for completion: blanks and `=`, `@`, `>`.
static inline void toytcp_rl_set_word_breaks(void) {
    rl_completer_word_break_characters = " \t\n=@>";
}

/// readline's own file-name generator (for `@file`, `record FILE`, `run FILE`).
static inline char *toytcp_rl_filename_completion(const char *text, int state) {
    return rl_filename_completion_function(text, state);
}

// Ctrl-C: a flag the shell polls while a command waits; while readline is reading, the line is
// dropped and a fresh prompt is shown, as bash does.
static volatile sig_atomic_t toytcp_interrupt_flag = 0;
static volatile sig_atomic_t toytcp_in_readline = 0;

static inline void toytcp_sigint_handler(int signal_number) {
    (void)signal_number;
    toytcp_interrupt_flag = 1;
    if (toytcp_in_readline) {
        ssize_t ignored = write(STDOUT_FILENO, "^C\n", 3);
        (void)ignored;
        rl_on_new_line();
        rl_replace_line("", 0);
        rl_redisplay();
    }
}

/// Installs the SIGINT handler (readline's own signal handling is turned off).
static inline void toytcp_install_sigint(void) {
    rl_catch_signals = 0;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = toytcp_sigint_handler;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    sigaction(SIGINT, &action, NULL);
}

static inline int toytcp_interrupted(void) { return toytcp_interrupt_flag != 0; }
static inline void toytcp_clear_interrupt(void) { toytcp_interrupt_flag = 0; }
static inline void toytcp_set_in_readline(int value) { toytcp_in_readline = value; }

#endif
