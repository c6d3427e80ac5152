PLUGIN_LIBS_keywords = -lstemmer -lutf8proc
