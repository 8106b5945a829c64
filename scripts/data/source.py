"""Where the UCI data set comes from and how to recognise it (no heavy imports: the CLI reads these).

Georges Hebrail and Alice Berard (2012), Individual household electric power consumption, UCI Machine
Learning Repository, https://doi.org/10.24432/C58K54 (CC BY 4.0).
"""

UCI_ZIP_URL = (
    "https://archive.ics.uci.edu/static/public/235/individual+household+electric+power+consumption.zip"
)
UCI_DATASET_PAGE = "https://archive.ics.uci.edu/dataset/235/individual+household+electric+power+consumption"
UCI_TXT_SHA256 = "4259c9d7ece5dbee9ab8d53682baac68d791c864f0f64a52b4043cb3b90894b7"
ZIP_NAME = "household_power_consumption.zip"
DOWNLOAD_TIMEOUT_SECONDS = 60.0
