build/obj/lib/log.o: lib/log.c include/sockit/log.h
include/sockit/log.h:
