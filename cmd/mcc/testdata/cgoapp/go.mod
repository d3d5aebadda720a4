module example.com/cgoapp

go 1.26
