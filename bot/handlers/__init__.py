"""One router per concern; :func:`bot.dispatcher.build_dispatcher` puts them in order."""
