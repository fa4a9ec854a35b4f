build/obj/src/server_dgram.o: src/server_dgram.c src/peer_table.h \
 src/server_int.h src/server.h services/service.h \
 include/sockit/endpoint.h include/sockit/conn.h include/sockit/buf.h \
 include/sockit/loop.h include/sockit/log.h
src/peer_table.h:
src/server_int.h:
src/server.h:
services/service.h:
include/sockit/endpoint.h:
include/sockit/conn.h:
include/sockit/buf.h:
include/sockit/loop.h:
include/sockit/log.h:
