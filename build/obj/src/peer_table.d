build/obj/src/peer_table.o: src/peer_table.c src/peer_table.h
src/peer_table.h:
