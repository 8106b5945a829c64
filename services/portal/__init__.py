"""The household's view (issue 13): tariffs and bills first; the API comes next."""
