// A github.com/mattn/go-sqlite3 program for mcc's tests: the SQLite C
// amalgamation compiled and linked static against musl.
package main

import (
	"database/sql"
	"fmt"
	"os"

	_ "github.com/mattn/go-sqlite3"
)

func main() {
	db, err := sql.Open("sqlite3", ":memory:")
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	defer db.Close()
	var sum int
	for _, q := range []string{"create table t(n int)", "insert into t values (20),(22)"} {
		if _, err := db.Exec(q); err != nil {
			fmt.Println(err)
			os.Exit(1)
		}
	}
	if err := db.QueryRow("select sum(n) from t").Scan(&sum); err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	fmt.Printf("sqlite sum=%d\n", sum)
}
