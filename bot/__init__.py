"""The Telegram side: aiogram 3 routers, middlewares and the console chat."""
