build/obj/src/main.o: src/main.c src/commands.h
src/commands.h:
