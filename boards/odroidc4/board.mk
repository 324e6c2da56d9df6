# Odroid-C4: build facts. It cannot be run here; the image is for U-Boot.
BOARD_DEBUG_UART := meson
