build/obj/lib/io.o: lib/io.c include/sockit/io.h include/sockit/net.h \
 include/sockit/endpoint.h
include/sockit/io.h:
include/sockit/net.h:
include/sockit/endpoint.h:
