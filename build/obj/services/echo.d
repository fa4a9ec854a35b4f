build/obj/services/echo.o: services/echo.c services/service.h
services/service.h:
