build/obj/lib/conn.o: lib/conn.c include/sockit/conn.h \
 include/sockit/buf.h include/sockit/loop.h
include/sockit/conn.h:
include/sockit/buf.h:
include/sockit/loop.h:
