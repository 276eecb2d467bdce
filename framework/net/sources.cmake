# framework/net sources
