# framework/eth sources
