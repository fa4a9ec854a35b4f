build/obj/src/cli.o: src/cli.c src/commands.h
src/commands.h:
