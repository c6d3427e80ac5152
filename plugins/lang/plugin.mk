PLUGIN_LIBS_lang = -lcld2
