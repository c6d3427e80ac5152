/*
 * extract_command.h - `wiresift extract FILE|URL...`: the article of each page as one JSON
 * object per line, in input order, through extract_page() (clean/extract.h) with the
 * configuration's boilerplate and site rules, as the daemon extracts fetched pages.
 */
#ifndef WIRESIFT_EXTRACT_COMMAND_H
#define WIRESIFT_EXTRACT_COMMAND_H

#include "config.h"

/* 0 when every input was read; 1 when one could not be (its object carries "error"). */
int	 extract_command(const struct config *config, int explain, char **inputs, int count);

#endif
