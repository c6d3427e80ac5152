PLUGIN_LIBS_lang = $(shell pkg-config --libs libexttextcat)
