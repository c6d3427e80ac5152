PLUGIN_LIBS_topics = -lstemmer -lutf8proc
