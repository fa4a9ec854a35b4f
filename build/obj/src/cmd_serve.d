build/obj/src/cmd_serve.o: src/cmd_serve.c src/commands.h \
 src/serve_plan.h src/server.h services/service.h \
 include/sockit/endpoint.h include/sockit/error.h include/sockit/log.h
src/commands.h:
src/serve_plan.h:
src/server.h:
services/service.h:
include/sockit/endpoint.h:
include/sockit/error.h:
include/sockit/log.h:
