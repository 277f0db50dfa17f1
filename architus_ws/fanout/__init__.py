"""What a socket is sent: per-guild feeds, rooms, spectators, the synchronous sender."""
