"""The discord.py bot: Cogs that mirror guilds and publish their changes and log entries."""

from bot_bridge.bot.bot import INTENTS, create_bot

__all__ = ["INTENTS", "create_bot"]
