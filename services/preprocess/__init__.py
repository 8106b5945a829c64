"""The preprocess Lambda: closed hours -> LSTM forecasts; closed days -> rest-of-month projections."""
