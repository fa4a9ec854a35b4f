build/obj/src/serve_plan.o: src/serve_plan.c src/serve_plan.h \
 src/server.h services/service.h include/sockit/endpoint.h \
 include/sockit/error.h
src/serve_plan.h:
src/server.h:
services/service.h:
include/sockit/endpoint.h:
include/sockit/error.h:
