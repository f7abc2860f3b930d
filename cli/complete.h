/*
 * complete.h: the words that may come next on a qshmctl command line:
 * commands, their options, option values, object names (/dev/shm and
 * parked @N) and handles.  The shell's tab key and the bash, zsh and fish
 * completions (through the hidden __complete command) both ask here.
 */

#ifndef QSHMCTL_COMPLETE_H
#define QSHMCTL_COMPLETE_H

/* A file name is wanted: the caller's own file completion applies. */
#define COMPLETE_FILES	":files"

/* Receives each candidate; the word being completed is its prefix. */
typedef void (*complete_emit)(const char *, void *);

int	complete_words(int, char **, int, complete_emit, void *);

#endif /* QSHMCTL_COMPLETE_H */
