.PHONY: test demo lint

test:
	bash tools/test.sh

demo:
	bash tools/demo.sh

lint:
	bash tools/lint.sh
