"""What the bot does with data. Nothing here imports aiogram."""
