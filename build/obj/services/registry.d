build/obj/services/registry.o: services/registry.c services/service.h
services/service.h:
