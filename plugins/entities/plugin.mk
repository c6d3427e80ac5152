PLUGIN_LIBS_entities = -lutf8proc
