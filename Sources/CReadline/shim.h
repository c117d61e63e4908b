#ifndef TOYTCP_CREADLINE_SHIM_H
#define TOYTCP_CREADLINE_SHIM_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <unistd.h>
#include <termios.h>
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
        ssize_t ignored = write(STDOUT_FILENO, "\n", 1);
        (void)ignored;
        rl_replace_line("", 0);
        rl_on_new_line();
        rl_redisplay();
    }
}

/// A process can inherit a signal mask that blocks SIGINT (from a parent that blocked it); Ctrl-C must
/// reach the shell, so it unblocks the signals it handles at start and after every line.
static inline void toytcp_unblock_signals(void) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGQUIT);
    sigaddset(&set, SIGTERM);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
}

/// Installs the SIGINT handler. readline keeps its own signal handling: during `readline()` it catches
/// SIGINT, restores the terminal, and re-raises it to this handler from its own code (so the line can
/// be dropped safely here), then resumes reading.
static inline void toytcp_install_sigint(void) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = toytcp_sigint_handler;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    sigaction(SIGINT, &action, NULL);
    toytcp_unblock_signals();
}

/// Ctrl-C while editing: readline reads it as a key (ISIG is off while it reads, see below), prints
/// `^C` and starts an empty line, as bash does. No signal is involved, so nothing is left pending.
static inline int toytcp_rl_ctrl_c(int count, int key) {
    (void)count; (void)key;
    ssize_t ignored = write(STDOUT_FILENO, "^C", 2);
    (void)ignored;
    rl_replace_line("", 0);
    rl_crlf();
    rl_on_new_line();
    rl_redisplay();
    return 0;
}

/// readline's terminal preparation, then ISIG off: the Ctrl-C character reaches readline as a key.
/// readline restores the saved terminal settings (ISIG on) when the line is done.
static inline void toytcp_rl_prep_terminal(int meta) {
    rl_prep_terminal(meta);
    struct termios t;
    int fd = fileno(rl_instream ? rl_instream : stdin);
    if (tcgetattr(fd, &t) == 0) {
        t.c_lflag &= ~(tcflag_t)ISIG;
        tcsetattr(fd, TCSANOW, &t);
    }
}

/// Installs the Ctrl-C key binding and the terminal preparation above.
static inline void toytcp_rl_setup_ctrl_c(void) {
    rl_prep_term_function = toytcp_rl_prep_terminal;
    rl_bind_key(3, toytcp_rl_ctrl_c);
}

static inline int toytcp_interrupted(void) { return toytcp_interrupt_flag != 0; }
static inline void toytcp_clear_interrupt(void) { toytcp_interrupt_flag = 0; }
static inline void toytcp_set_in_readline(int value) { toytcp_in_readline = value; }

// The callback interface (rl_callback_handler_install / rl_callback_read_char): the shell polls
// standard input beside the network's wake-up descriptor, so the stack's output (trace lines, events)
// is printed above the prompt while a person types, without breaking the line being typed.
static char *toytcp_rl_line = NULL;
static int toytcp_rl_done = 0;
static int toytcp_rl_hidden = 0;
static char *toytcp_rl_saved_text = NULL;
static int toytcp_rl_saved_point = 0;

/// readline calls this with the accepted line (NULL at end of input): keep it, stop reading.
static inline void toytcp_rl_line_handler(char *line) {
    toytcp_rl_line = line;
    toytcp_rl_done = 1;
    rl_callback_handler_remove();
}

/// Shows `prompt` and starts reading a line, one character at a time.
static inline void toytcp_rl_begin(const char *prompt) {
    toytcp_rl_line = NULL;
    toytcp_rl_done = 0;
    toytcp_rl_hidden = 0;
    rl_callback_handler_install(prompt, toytcp_rl_line_handler);
}

/// Reads the characters waiting on standard input (call when poll says it is readable).
static inline void toytcp_rl_read_char(void) { rl_callback_read_char(); }

/// 1 once a line (or end of input) was read.
static inline int toytcp_rl_is_done(void) { return toytcp_rl_done; }

/// The line read (malloc'ed, NULL at end of input); the caller frees it.
static inline char *toytcp_rl_take_line(void) {
    char *line = toytcp_rl_line;
    toytcp_rl_line = NULL;
    return line;
}

/// Clears the prompt and the line being typed from the screen (saving both) so that output can be
/// printed where they were.
static inline void toytcp_rl_hide(void) {
    if (toytcp_rl_hidden) return;
    toytcp_rl_hidden = 1;
    toytcp_rl_saved_point = rl_point;
    toytcp_rl_saved_text = rl_copy_text(0, rl_end);
    rl_save_prompt();
    rl_replace_line("", 0);
    rl_redisplay();
}

/// Draws the prompt (`prompt`, which may have changed, or NULL to keep it) and the saved line again,
/// cursor where it was.
static inline void toytcp_rl_show(const char *prompt) {
    if (!toytcp_rl_hidden) {
        if (prompt) { rl_set_prompt(prompt); rl_forced_update_display(); }
        return;
    }
    toytcp_rl_hidden = 0;
    rl_restore_prompt();
    if (prompt) rl_set_prompt(prompt);
    rl_replace_line(toytcp_rl_saved_text ? toytcp_rl_saved_text : "", 0);
    rl_point = toytcp_rl_saved_point;
    free(toytcp_rl_saved_text);
    toytcp_rl_saved_text = NULL;
    rl_forced_update_display();
}

#endif
