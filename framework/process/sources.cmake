# framework/process sources
