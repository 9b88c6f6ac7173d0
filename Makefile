.PHONY: test demo

test:
	bash tools/test.sh

demo:
	bash tools/demo.sh
