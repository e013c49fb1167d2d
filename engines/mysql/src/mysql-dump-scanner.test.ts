import { describe, expect, it } from 'vitest';
import { MysqlDumpScanner } from './mysql-dump-scanner.js';

function scan(text: string, size = 1 << 20): string | null {
  const bytes = Buffer.from(text, 'utf8');
  const scanner = new MysqlDumpScanner();
  for (let at = 0; at < bytes.length; at += size) {
    const problem = scanner.push(bytes.subarray(at, at + size));
    if (problem) return problem;
  }
  return scanner.end();
}

/** The same verdict whatever the chunk boundaries. */
function verdict(text: string): string | null {
  const whole = scan(text);
  for (const size of [1, 2, 5, 64]) expect(scan(text, size), `chunks of ${size} bytes`).toBe(whole);
  return whole;
}

/** The shapes a real `mariadb-dump --routines --triggers` file has. */
const DUMP = String.raw`/*M!999999\- enable the sandbox mode */ 
-- MariaDB dump 10.19  Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64)
--
/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;
/*!40103 SET TIME_ZONE='+00:00' */;

CREATE DATABASE /*!32312 IF NOT EXISTS*/ ` + '`shop`' + String.raw` /*!40100 DEFAULT CHARACTER SET utf8mb4 */;
USE ` + '`shop`' + String.raw`;
INSERT INTO ` + '`notes`' + String.raw` VALUES (1,'it\'s a \\ backslash and a \! in a string\n'),(2,"double \" quoted \! too");
# a comment: \! echo never runs
-- another: system echo never runs
/* and a block \! comment */
DELIMITER ;;
/*!50003 CREATE*/ /*!50017 DEFINER=` + '`root`@`localhost`' + String.raw`*/ /*!50003 TRIGGER t BEFORE INSERT ON notes FOR EACH ROW BEGIN
  SET NEW.body = CONCAT(NEW.body, '\\');
END */;;
DELIMITER ;
SELECT a - -1, 4/2 FROM t WHERE x = \N;
`;

describe('MysqlDumpScanner', () => {
  it('passes a dump with backslashes in strings and comments, versioned comments and DELIMITER, whatever the chunks', () => {
    expect(verdict(DUMP)).toBeNull();
  });

  it.each([
    ['a shell command', 'SELECT 1;\n\\! touch /tmp/pwned\n', /^line 2: the client command "\\!" is not allowed/],
    ['a shell command after SQL on a line', 'SELECT 1; \\! touch /tmp/pwned\n', /^line 1: the client command "\\!"/],
    ['a shell command inside a versioned comment', '/*!40101 \\! id */;\n', /^line 1: the client command "\\!"/],
    ['sourcing a file with a backslash', '\\. /etc/passwd\n', /^line 1: the client command "\\\."/],
    ['the named shell command', 'SELECT 1;\nsystem touch /tmp/pwned\n', /^line 2: "system" at the start of a statement/],
    ['a named command after a comment line', '-- hello\n  SOURCE /etc/passwd\n', /^line 2: "source" at the start/],
    ['a named command after a changed delimiter', 'DELIMITER //\nSELECT 1//\ntee /tmp/out\n', /^line 3: "tee" at the start/],
    ['a command after a string with an escaped quote', "SELECT 'it\\'s';\n\\! id\n", /^line 2: the client command "\\!"/],
  ])('refuses %s, naming the line', (_what, text, message) => {
    expect(verdict(text)).toMatch(message);
  });

  it('leaves words that only look like commands alone inside a statement', () => {
    expect(verdict('SELECT 1,\nsystem_user(),\nstatus FROM t;\nINSERT INTO t VALUES (1);\n')).toBeNull();
  });
});
