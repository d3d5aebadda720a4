module example.com/cgotest

go 1.26
