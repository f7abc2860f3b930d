/*
 * enc.h: how qshmctl prints strings it did not write itself.  Object
 * names come from /dev/shm, /proc and argv and may hold any byte but NUL
 * (and '/'): invalid UTF-8, control characters, terminal escapes.  JSON
 * gets valid UTF-8 (U+FFFD for each bad byte); text gets "\xNN" for each
 * byte a terminal must not see raw.
 */

#ifndef QSHMCTL_ENC_H
#define QSHMCTL_ENC_H

#include <stddef.h>

#define ENC_SPACE	0x1	/* text: escape ' ' too (table cells) */

size_t	 enc_utf8_len(const char *);
char	*enc_utf8(const char *);
size_t	 enc_text_len(const char *, int);
char	*enc_text(const char *, int);
size_t	 enc_width(const char *);

#endif /* QSHMCTL_ENC_H */
