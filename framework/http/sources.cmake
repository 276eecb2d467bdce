# framework/http sources
