"""The counter officer's web page (`digitize serve`): a thin layer over digitize.service."""
