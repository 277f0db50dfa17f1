"""bot_bridge: the discord.py side. Owns the bus, the publisher and the response maker."""
