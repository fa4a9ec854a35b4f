build/obj/src/cmd_echo.o: src/cmd_echo.c src/commands.h \
 include/sockit/buf.h include/sockit/error.h include/sockit/io.h \
 include/sockit/loop.h include/sockit/net.h include/sockit/endpoint.h
src/commands.h:
include/sockit/buf.h:
include/sockit/error.h:
include/sockit/io.h:
include/sockit/loop.h:
include/sockit/net.h:
include/sockit/endpoint.h:
