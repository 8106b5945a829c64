"""The household's view (issue 13): tariffs and month bills so far; the API comes next."""
