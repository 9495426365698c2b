// SPDX-License-Identifier: GPL-2.0
/* SCSI CDB builders (SPC/SBC field layouts) and synchronous helpers. */
#include <errno.h>
#include <string.h>

#include "vguest.h"

static uint8_t *cdb_clear(struct vg_io *io, uint8_t opcode)
{
	memset(io->cdb, 0, sizeof(io->cdb));
	io->cdb[0] = opcode;
	return io->cdb;
}

void vg_cdb_tur(struct vg_io *io)
{
	cdb_clear(io, 0x00);
}

void vg_cdb_inquiry(struct vg_io *io, bool evpd, uint8_t page, uint16_t alloc)
{
	uint8_t *c = cdb_clear(io, 0x12);

	c[1] = evpd ? 1 : 0;
	c[2] = page;
	vg_put_be16(&c[3], alloc);
}

void vg_cdb_read_capacity10(struct vg_io *io)
{
	cdb_clear(io, 0x25);
}

void vg_cdb_read_capacity16(struct vg_io *io, uint32_t alloc)
{
	uint8_t *c = cdb_clear(io, 0x9e);

	c[1] = 0x10;
	vg_put_be32(&c[10], alloc);
}

void vg_cdb_report_luns(struct vg_io *io, uint32_t alloc)
{
	uint8_t *c = cdb_clear(io, 0xa0);

	vg_put_be32(&c[6], alloc);
}

int vg_cdb_rw(struct vg_io *io, int size, bool write, uint64_t lba,
	      uint32_t blocks)
{
	uint8_t *c;

	switch (size) {
	case 6:
		if (lba > 0x1fffff || !blocks || blocks > 256)
			return -EINVAL;
		c = cdb_clear(io, write ? 0x0a : 0x08);
		c[1] = (lba >> 16) & 0x1f;
		c[2] = lba >> 8;
		c[3] = lba;
		c[4] = blocks == 256 ? 0 : blocks;
		return 0;
	case 10:
		if (lba > 0xffffffffULL || blocks > 0xffff)
			return -EINVAL;
		c = cdb_clear(io, write ? 0x2a : 0x28);
		vg_put_be32(&c[2], lba);
		vg_put_be16(&c[7], blocks);
		return 0;
	case 12:
		if (lba > 0xffffffffULL)
			return -EINVAL;
		c = cdb_clear(io, write ? 0xaa : 0xa8);
		vg_put_be32(&c[2], lba);
		vg_put_be32(&c[6], blocks);
		return 0;
	case 16:
		c = cdb_clear(io, write ? 0x8a : 0x88);
		vg_put_be64(&c[2], lba);
		vg_put_be32(&c[10], blocks);
		return 0;
	}
	return -EINVAL;
}

void vg_cdb_sync_cache(struct vg_io *io, bool sixteen, uint64_t lba,
		       uint32_t blocks)
{
	uint8_t *c;

	if (sixteen) {
		c = cdb_clear(io, 0x91);
		vg_put_be64(&c[2], lba);
		vg_put_be32(&c[10], blocks);
	} else {
		c = cdb_clear(io, 0x35);
		vg_put_be32(&c[2], lba);
		vg_put_be16(&c[7], blocks);
	}
}

void vg_cdb_unmap(struct vg_io *io, uint16_t param_len)
{
	uint8_t *c = cdb_clear(io, 0x42);

	vg_put_be16(&c[7], param_len);
}

uint16_t vg_unmap_param(void *buf, const uint64_t *lba, const uint32_t *nblk,
			unsigned int n)
{
	uint8_t *p = buf;
	unsigned int i;

	memset(p, 0, 8 + 16 * n);
	vg_put_be16(&p[0], 6 + 16 * n);
	vg_put_be16(&p[2], 16 * n);
	for (i = 0; i < n; i++) {
		vg_put_be64(&p[8 + 16 * i], lba[i]);
		vg_put_be32(&p[16 + 16 * i], nblk[i]);
	}
	return 8 + 16 * n;
}

void vg_cdb_write_same(struct vg_io *io, bool sixteen, bool unmap,
		       uint64_t lba, uint32_t blocks)
{
	uint8_t *c;

	if (sixteen) {
		c = cdb_clear(io, 0x93);
		vg_put_be64(&c[2], lba);
		vg_put_be32(&c[10], blocks);
	} else {
		c = cdb_clear(io, 0x41);
		vg_put_be32(&c[2], lba);
		vg_put_be16(&c[7], blocks);
	}
	c[1] = unmap ? 0x08 : 0;
}

void vg_cdb_compare_and_write(struct vg_io *io, uint64_t lba, uint8_t nolb)
{
	uint8_t *c = cdb_clear(io, 0x89);

	vg_put_be64(&c[2], lba);
	c[13] = nolb;
}

void vg_cdb_mode_sense(struct vg_io *io, bool ten, uint8_t page,
		       uint8_t subpage, uint16_t alloc)
{
	uint8_t *c = cdb_clear(io, ten ? 0x5a : 0x1a);

	c[2] = page & 0x3f;
	c[3] = subpage;
	if (ten)
		vg_put_be16(&c[7], alloc);
	else
		c[4] = alloc > 255 ? 255 : alloc;
}

void vg_cdb_pr_in(struct vg_io *io, uint8_t action, uint16_t alloc)
{
	uint8_t *c = cdb_clear(io, 0x5e);

	c[1] = action & 0x1f;
	vg_put_be16(&c[7], alloc);
}

void vg_cdb_pr_out(struct vg_io *io, uint8_t action, uint8_t type,
		   uint32_t param_len)
{
	uint8_t *c = cdb_clear(io, 0x5f);

	c[1] = action & 0x1f;
	c[2] = type & 0x0f;	/* scope 0: LU */
	vg_put_be32(&c[5], param_len);
}

void vg_pr_out_param(void *buf, uint64_t key, uint64_t sa_key, bool aptpl)
{
	uint8_t *p = buf;

	memset(p, 0, 24);
	vg_put_be64(&p[0], key);
	vg_put_be64(&p[8], sa_key);
	p[20] = aptpl ? 1 : 0;
}

int vg_tur(struct vg_vq *q, uint16_t lun, struct vg_io *res)
{
	struct vg_io io;
	int rc;

	vg_io_init(&io, lun);
	vg_cdb_tur(&io);
	rc = vg_io_exec(q, &io, VG_TIMEOUT_MS);
	if (res)
		*res = io;
	return rc;
}

int vg_inquiry(struct vg_vq *q, uint16_t lun, bool evpd, uint8_t page,
	       void *buf, uint16_t len, struct vg_io *res)
{
	struct vg_dev *d = q->dev;
	struct vg_io io;
	int rc;

	vg_io_init(&io, lun);
	vg_cdb_inquiry(&io, evpd, page, len);
	io.din = d->scratch;
	io.din_len = len;
	memset(d->scratch, 0, len);
	rc = vg_io_exec(q, &io, VG_TIMEOUT_MS);
	if (!rc)
		memcpy(buf, d->scratch, len);
	if (res)
		*res = io;
	return rc;
}

int vg_read_capacity(struct vg_vq *q, uint16_t lun, uint64_t *blocks,
		     uint32_t *block_size)
{
	struct vg_dev *d = q->dev;
	uint8_t *b = d->scratch;
	struct vg_io io;
	int rc;

	vg_io_init(&io, lun);
	vg_cdb_read_capacity16(&io, 32);
	io.din = b;
	io.din_len = 32;
	memset(b, 0, 32);
	rc = vg_io_exec(q, &io, VG_TIMEOUT_MS);
	if (rc)
		return rc;
	if (!vg_io_ok(&io))
		return -EIO;
	*blocks = vg_be64(b) + 1;
	*block_size = vg_be32(b + 8);
	return 0;
}
