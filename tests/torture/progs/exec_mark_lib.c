/* C3 helper preload (libexec_mark.so): stands in for another tool's preload ("libcnt.so" in
 * TORTURE.md). It does nothing; exec_tree's children check that it is still in their
 * LD_PRELOAD and mapped, i.e. the shim never strips other tools' preloads from children. */
int exec_mark_present = 1;
